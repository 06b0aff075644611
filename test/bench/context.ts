/**
 * What every benchmark phase shares: the running stack, the service's app composed for
 * it (lib/app.ts, with the stack's endpoints), a count of the Redis commands and
 * DynamoDB operations the service sends, and helpers to invoke handlers in-process.
 *
 * The counts can be attributed to the request that caused them: code run inside
 * `withScope(name, fn)` (the in-process transport names each request's endpoint) is
 * counted under that name, everything else under 'other'. Redis commands sent through
 * ioredis' auto-pipelining leave in a later tick, so each command is tagged with its
 * scope when it is queued, not when it is written.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Pipeline from 'ioredis/built/Pipeline';
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

/** What one scope (an endpoint, or 'other') sent. */
export interface ScopeCounts {
  redisCommands: number;
  /** EVALSHA / EVAL: the waiting room's scripts and the limits' script. */
  redisScripts: number;
  /** Commands on a concert's queue keys (hash tag {q:<concertId>}): the shard that carries the concert. */
  queueShardCommands: number;
  dynamoOps: Record<string, number>;
  /** DynamoDB capacity consumed, as DynamoDB reports it (ReturnConsumedCapacity TOTAL). */
  readUnits: number;
  writeUnits: number;
  sqsSends: number;
}

export interface Counters {
  /**
   * Counting of Redis commands off: they go straight through (phase 1 times the handlers
   * with it off, so its figures carry no counting of Redis commands; it counts the round
   * trips on the warm-up calls of the same path instead). The DynamoDB and SQS counters
   * stay on (phase 1's handlers send nothing to either).
   */
  paused?: boolean;
  redisCommands: number;
  dynamoOps: Record<string, number>;
  byScope: Record<string, ScopeCounts>;
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

const scopes = new AsyncLocalStorage<string>();

/** Runs `fn` with everything it sends counted under `scope`. */
export const withScope = <T>(scope: string, fn: () => Promise<T>): Promise<T> => scopes.run(scope, fn);

const SCOPE = Symbol('benchScope');
type Tagged = { [SCOPE]?: string; name?: string; args?: unknown[] };
// A command queued on a pipeline (auto-pipelining queues every command on one) keeps the
// scope of the code that queued it.
const pipelineProto = (Pipeline as unknown as { prototype: { sendCommand: (c: Tagged) => unknown } }).prototype;
const queue = pipelineProto.sendCommand;
pipelineProto.sendCommand = function (this: unknown, command: Tagged) {
  if (command && typeof command === 'object') command[SCOPE] ??= scopes.getStore();
  return queue.call(this, command);
};

export function emptyScope(): ScopeCounts {
  return { redisCommands: 0, redisScripts: 0, queueShardCommands: 0, dynamoOps: {}, readUnits: 0, writeUnits: 0, sqsSends: 0 };
}

/**
 * Counts what `app` sends to Redis, DynamoDB and SQS into `counters` (per scope too).
 * Every Redis command is one request/response with Redis (pipelined or not).
 */
export function countApp(app: App, counters: Counters): void {
  const scoped = (scope: string | undefined) => (counters.byScope[scope ?? 'other'] ??= emptyScope());
  const target = app.clients.redis as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand.bind(app.clients.redis);
  target.sendCommand = (...args: unknown[]) => {
    if (counters.paused) return send(...args);
    const command = args[0] as Tagged | undefined;
    counters.redisCommands++;
    const s = scoped(command?.[SCOPE] ?? scopes.getStore());
    s.redisCommands++;
    if (command?.name === 'evalsha' || command?.name === 'eval') s.redisScripts++;
    // The first key: args[0], or after the script and the key count for EVALSHA / EVAL.
    const key = command?.name === 'evalsha' || command?.name === 'eval' ? command.args?.[2] : command?.args?.[0];
    if (typeof key === 'string' && key.startsWith('{q:')) s.queueShardCommands++;
    return send(...args);
  };

  app.clients.dynamo.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counters.dynamoOps[name] = (counters.dynamoOps[name] ?? 0) + 1;
      const s = scoped(scopes.getStore());
      s.dynamoOps[name] = (s.dynamoOps[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  // Capacity as DynamoDB reports it, for every operation of the low-level client (the
  // document client sends through it); asking for it changes nothing else.
  app.clients.dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }[];
      const s = scoped(scopes.getStore());
      for (const c of list) {
        if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
          s.readUnits += c.ReadCapacityUnits ?? 0;
          s.writeUnits += c.WriteCapacityUnits ?? 0;
        } else if (c.CapacityUnits !== undefined) {
          // Only the total: reads and writes are told apart by the operation.
          if (/Get|Query|Scan/.test(String(context.commandName ?? ''))) s.readUnits += c.CapacityUnits;
          else s.writeUnits += c.CapacityUnits;
        }
      }
      return out;
    },
    { step: 'initialize', name: 'benchCapacity' },
  );
  app.clients.sqs.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (/^SendMessage/.test(String(context.commandName ?? ''))) scoped(scopes.getStore()).sqsSends++;
      return next(args);
    },
    { step: 'initialize', name: 'benchSqsCounter' },
  );
}

export function loadContext(stack: RunningStack): BenchContext {
  // The stack's environment also serves the tools that read it (test/support/api.ts).
  Object.assign(process.env, stack.env, { POWERTOOLS_METRICS_DISABLED: 'true' });
  // Quiets calls the bench makes outside a handler. Handlers log at the product's level
  // (POWERTOOLS_LOG_LEVEL, INFO by default): Powertools' injectLambdaContext restores the
  // configured level on every invocation, so the measured CPU includes the product's logs.
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
  const counters: Counters = { redisCommands: 0, dynamoOps: {}, byScope: {} };
  countApp(app, counters);
  return { stack, counters, app, redis: app.clients.redis, handlers: { enter, status, hold, health }, invoke: invokeHttp };
}

/**
 * An app with the product's own configuration (no bench overrides) for the stack,
 * counted into `counters`: what the in-process transport installs for the simulation,
 * whose clients poll as told.
 */
export function productApp(stack: RunningStack, counters: Counters): App {
  const app = createApp(loadConfig({ ...process.env, ...stack.env }));
  countApp(app, counters);
  return app;
}

export function totalDynamoOps(c: Counters): number {
  return Object.values(c.dynamoOps).reduce((a, b) => a + b, 0);
}
