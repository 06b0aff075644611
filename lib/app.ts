/**
 * The composition root: builds a container's configuration, clients, stores and
 * services in one place. Lambda handlers get the container's app through app() (built
 * from the environment on first use); tests and the benchmark build their own with
 * createApp(loadConfig({...endpoints})) and install it with useApp(), so nothing reads
 * the environment at import time and no test needs an import trick.
 */
import { Identity } from './auth/identity';
import { Catalog } from './booking/catalog';
import { SeatClaims } from './booking/seat-claims';
import { Holds } from './booking/holds';
import { Listings } from './booking/listings';
import { ShowSeatsCache } from './booking/show-seats-cache';
import { ReleaseQueue } from './booking/release-queue';
import { SeatStore } from './booking/seat-store';
import { Dynamo } from './clients/dynamodb';
import { createRedis, type RedisClient } from './clients/redis';
import { Sqs } from './clients/sqs';
import { loadConfig, type Config } from './config';
import { IdempotencyStore } from './idempotency/records';
import { Limits } from './limits/limits';
import { Payments } from './payment/payments';
import { QueueHistory } from './queue/history';
import { ReadinessProbe } from './readiness';
import { withSecrets } from './secrets';
import { WaitingRoom, type QueueSettings } from './queue/waiting-room';
import { Wallet } from './wallet/wallet';
import { WalletStore } from './wallet/wallet-store';

export interface App {
  config: Config;
  clients: { dynamo: Dynamo; sqs: Sqs; redis: RedisClient };
  identity: Identity;
  catalog: Catalog;
  seats: SeatStore;
  listings: Listings;
  holds: Holds;
  releases: ReleaseQueue;
  wallets: WalletStore;
  wallet: Wallet;
  idempotency: IdempotencyStore;
  payments: Payments;
  waitingRoom: WaitingRoom;
  history: QueueHistory;
  limits: Limits;
  /** Whether DynamoDB, Redis and SQS answer (GET /v1/health). */
  readiness: ReadinessProbe;
  /** Closes the app's connections (tests, the benchmark). */
  close: () => Promise<void>;
}

export interface AppOverrides {
  /** Use this Redis connection instead of one built from REDIS_URL. */
  redis?: RedisClient;
}

export function defaultQueueSettings(config: Config): QueueSettings {
  return {
    maxActive: config.QUEUE_MAX_ACTIVE,
    admissionsPerSecond: config.QUEUE_ADMIT_PER_SECOND,
    activeSessionSeconds: config.QUEUE_ACTIVE_SECONDS,
    abandonAfterSeconds: config.QUEUE_ABANDON_SECONDS,
    expectedSessionSeconds: config.QUEUE_EXPECTED_SESSION_SECONDS ?? config.QUEUE_ACTIVE_SECONDS,
  };
}

export function limitSettings(config: Config) {
  return {
    holdsPerMinute: config.RATE_LIMIT_HOLDS_PER_MINUTE,
    topupsPerMinute: config.RATE_LIMIT_TOPUPS_PER_MINUTE,
    queueCyclesPerMinute: config.RATE_LIMIT_QUEUE_CYCLES_PER_MINUTE,
    unpaidHoldsLimit: config.UNPAID_HOLDS_LIMIT,
    unpaidHoldsWindowSeconds: config.UNPAID_HOLDS_WINDOW_SECONDS,
    timeoutMs: config.DEPENDENCY_TIMEOUT_MS,
  };
}

export function createApp(config: Config = loadConfig(), overrides: AppOverrides = {}): App {
  const dynamo = new Dynamo(config);
  const sqs = new Sqs(config);
  const redis = overrides.redis ?? createRedis(config);

  const seats = new SeatStore(dynamo);
  const wallets = new WalletStore(dynamo, config.WALLET_RETRY_BUDGET_MS);
  const idempotency = new IdempotencyStore(dynamo, config.IDEMPOTENCY_TTL_SECONDS);
  // The seat map's cache forgets a show whenever this container commits on its seats.
  const showSeats = new ShowSeatsCache(config.SEAT_LISTING_CACHE_MS);
  dynamo.onCommit((items) => showSeats.forgetTouched(items, dynamo.tables.seats));
  const catalog = new Catalog(dynamo, seats, config.HOLD_SECONDS, config.PRE_QUEUE_MINUTES, config.BALANCE_MAX);
  const releases = new ReleaseQueue(sqs, config.HOLD_RELEASE_QUEUE_NAME);
  const limits = new Limits(redis, limitSettings(config));
  const holds = new Holds({
    db: dynamo,
    seats,
    wallets,
    catalog,
    releases,
    unpaidHolds: limits,
    holdLimitPerConcert: config.HOLD_LIMIT_PER_CONCERT,
    claims: new SeatClaims(redis, config.SEAT_CLAIM_LEASE_MS, config.SEAT_CLAIM_TIMEOUT_MS),
  });
  const waitingRoom = new WaitingRoom(redis, {
    defaults: defaultQueueSettings(config),
    endedRetentionMs: config.QUEUE_ENDED_RETENTION_SECONDS * 1000,
    timeoutMs: config.DEPENDENCY_TIMEOUT_MS,
    pollMinFraction: config.QUEUE_POLL_MIN_FRACTION,
  });

  return {
    config,
    clients: { dynamo, sqs, redis },
    identity: new Identity(config),
    catalog,
    seats,
    listings: new Listings(catalog, seats, showSeats),
    holds,
    releases,
    wallets,
    wallet: new Wallet({ db: dynamo, wallets, idempotency, config }),
    idempotency,
    payments: new Payments({ db: dynamo, seats, holds, wallets, idempotency, maxReservations: config.HOLD_LIMIT_PER_CONCERT }),
    waitingRoom,
    history: new QueueHistory(redis, config.DEPENDENCY_TIMEOUT_MS),
    limits,
    readiness: new ReadinessProbe({
      dynamo,
      redis,
      sqs,
      releaseQueueName: config.HOLD_RELEASE_QUEUE_NAME,
      timeoutMs: config.DEPENDENCY_TIMEOUT_MS,
      ttlMs: config.READINESS_CACHE_MS,
    }),
    close: async () => {
      if (!overrides.redis) redis.disconnect();
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

let current: App | undefined;
let starting: Promise<App> | undefined;

/**
 * The container's app: the one installed with useApp(), or one built from the
 * environment. Synchronous, so it cannot read secrets: handlers use readyApp().
 */
export function app(): App {
  current ??= createApp();
  return current;
}

/** The container's app once it is composed, without a promise (the hot path); undefined before. */
export const composedApp = (): App | undefined => current;

/**
 * The container's app once its secrets are read (lib/secrets.ts: SSM on deployed stages,
 * nothing on local ones). The first call of a cold container reads them; a failure fails
 * that invocation and the next one tries again.
 */
export function readyApp(): Promise<App> {
  if (current) return Promise.resolve(current);
  starting ??= withSecrets(process.env)
    .then((env) => (current ??= createApp(loadConfig(env))))
    .finally(() => {
      starting = undefined;
    });
  return starting;
}

/** Installs `next` as the container's app (tests, the benchmark); undefined forgets it. */
export function useApp(next: App | undefined): void {
  current = next;
}
