/**
 * What every benchmark phase shares: the running stack, the service's app composed for
 * it (lib/app.ts, with the stack's endpoints), a count of the Redis commands and
 * DynamoDB operations the service sends, and helpers to invoke handlers in-process.
 */
import { createApp, useApp, type App } from '../../lib/app';
import type { RedisClient } from '../../lib/clients/redis';
import { loadConfig } from '../../lib/config';
import { logger } from '../../lib/observability';
import type { RunningStack } from '../../infra/local/stack';
import { handler as enter } from '../../functions/http/queue/enter';
import { handler as status } from '../../functions/http/queue/status';
import { handler as hold } from '../../functions/http/reservations/hold';
import { handler as health } from '../../functions/http/health';
import { invokeHttp } from '../support/lambda';

export interface Counters {
  redisCommands: number;
  dynamoOps: Record<string, number>;
}

export interface BenchContext {
  stack: RunningStack;
  counters: Counters;
  /** The service's app, installed for the handlers invoked in-process. */
  app: App;
  /** The service's Redis connection (counted). */
  redis: RedisClient;
  handlers: { enter: unknown; status: unknown; hold: unknown; health: unknown };
  invoke: typeof invokeHttp;
}

export function loadContext(stack: RunningStack): BenchContext {
  // The stack's environment also serves the tools that read it (test/support/api.ts).
  Object.assign(process.env, stack.env, { POWERTOOLS_METRICS_DISABLED: 'true' });
  logger.setLogLevel('CRITICAL');
  const app = createApp(
    loadConfig({
      ...process.env,
      ...stack.env,
      // Phases 1 and 2 poll every waiting token far sooner than it was told (they measure
      // the engine at its ceiling). A tiny fraction keeps the poll limit's check and write
      // in every poll's script without ever refusing one; the product's default (0.5)
      // runs over HTTP (phases 4 and 5), where the clients poll as told.
      QUEUE_POLL_MIN_FRACTION: '0.0001',
    }),
  );
  useApp(app);
  const counters: Counters = { redisCommands: 0, dynamoOps: {} };

  const redis = app.clients.redis;
  // Every command the service sends is one request/response with Redis (pipelined or not).
  const target = redis as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand.bind(redis);
  target.sendCommand = (...args: unknown[]) => {
    counters.redisCommands++;
    return send(...args);
  };

  app.clients.dynamo.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counters.dynamoOps[name] = (counters.dynamoOps[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );

  return { stack, counters, app, redis, handlers: { enter, status, hold, health }, invoke: invokeHttp };
}

export function totalDynamoOps(c: Counters): number {
  return Object.values(c.dynamoOps).reduce((a, b) => a + b, 0);
}
