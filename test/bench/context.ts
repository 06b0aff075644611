/**
 * What every benchmark phase shares: the running stack, the service's own modules
 * (imported after the stack's environment is set, so their clients point at it), a
 * count of Redis commands and DynamoDB operations the service sends, and helpers to
 * invoke handlers in-process.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RunningStack } from '../../infra/local/stack';
import { invokeHttp } from '../support/lambda';

export interface Counters {
  redisCommands: number;
  dynamoOps: Record<string, number>;
}

export interface BenchContext {
  stack: RunningStack;
  counters: Counters;
  /** The service's Redis connection (counted). */
  redis: Redis | Cluster;
  lib: {
    catalog: typeof import('../../lib/booking/catalog');
    queue: typeof import('../../lib/queue');
    scripts: typeof import('../../lib/queue/scripts');
    keys: typeof import('../../lib/queue/keys');
    identity: typeof import('../../lib/auth/identity');
    transactions: typeof import('../../lib/clients/transactions');
  };
  handlers: Record<'enter' | 'status' | 'hold' | 'health', unknown>;
  invoke: typeof invokeHttp;
}

export async function loadContext(stack: RunningStack): Promise<BenchContext> {
  Object.assign(process.env, stack.env, {
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // In-process, hundreds of concurrent invocations share one SDK client and its socket
    // pool (on Lambda each has its own container); waiting for a socket must not read as
    // an outage.
    DEPENDENCY_TIMEOUT_MS: '15000',
  });
  const counters: Counters = { redisCommands: 0, dynamoOps: {} };

  const { redis } = await import('../../lib/clients/redis');
  // Every command the service sends is one request/response with Redis (pipelined or not).
  const target = redis as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand.bind(redis);
  target.sendCommand = (...args: unknown[]) => {
    counters.redisCommands++;
    return send(...args);
  };

  const { ddb } = await import('../../lib/clients/dynamodb');
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counters.dynamoOps[name] = (counters.dynamoOps[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );

  return {
    stack,
    counters,
    redis,
    lib: {
      catalog: await import('../../lib/booking/catalog'),
      queue: await import('../../lib/queue'),
      scripts: await import('../../lib/queue/scripts'),
      keys: await import('../../lib/queue/keys'),
      identity: await import('../../lib/auth/identity'),
      transactions: await import('../../lib/clients/transactions'),
    },
    handlers: {
      enter: (await import('../../functions/http/queue/enter')).handler,
      status: (await import('../../functions/http/queue/status')).handler,
      hold: (await import('../../functions/http/reservations/hold')).handler,
      health: (await import('../../functions/http/health')).handler,
    },
    invoke: invokeHttp,
  };
}

export function totalDynamoOps(c: Counters): number {
  return Object.values(c.dynamoOps).reduce((a, b) => a + b, 0);
}
