/**
 * The Redis connection of an app (one per Lambda container; ElastiCache-style, Cluster
 * when REDIS_CLUSTER=true). Commands fail fast while Redis is unreachable instead of
 * queueing until the Lambda times out; callers map the failure to a 503.
 *
 * ElastiCache (infra/redis.js): a rediss:// URL is TLS. In cluster mode the client is
 * given the configuration endpoint, connects to the nodes by the host names the cluster
 * announces (dnsLookup keeps the name, so the TLS certificate matches) and uses TLS and
 * the AUTH token on every node connection.
 *
 * The connection opens on the first command, not when the app is composed: every
 * handler composes the app, but only the functions that use Redis run in its VPC
 * (serverless.yml `vpc`); the others (health, the concert list, balance, ...) must not
 * try, and retry forever, to reach a cluster they have no route to.
 */
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config';
import { logger } from '../observability';

export type RedisClient = Redis | Cluster;

export function createRedis(config: Config): RedisClient {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: config.DEPENDENCY_TIMEOUT_MS,
    commandTimeout: config.DEPENDENCY_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    // The AUTH token read from SSM at cold start (lib/secrets.ts) wins over one in the URL.
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
  };
  let client: RedisClient;
  if (config.REDIS_CLUSTER) {
    const url = new URL(config.REDIS_URL);
    client = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      lazyConnect: true,
      // Off for a cluster: ioredis groups auto-pipelined commands by the slot of their
      // first argument, which for EVALSHA is the script's SHA, not a key, so two scripts
      // for concerts on different masters can land in one pipeline and fail with "All
      // keys in the pipeline should belong to the same slots allocation group"
      // (redis/ioredis#2109; seen as a 500 in test/cluster/two-concerts.test.ts).
      enableAutoPipelining: false,
      dnsLookup: (address, callback) => callback(null, address),
      redisOptions: {
        ...options,
        username: url.username || undefined,
        password: config.REDIS_PASSWORD || (url.password ? decodeURIComponent(url.password) : undefined),
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    });
  } else {
    client = new Redis(config.REDIS_URL, options);
  }

  // ioredis emits an 'error' for every failed reconnect attempt; commands fail on their own
  // (and answer 503), so the connection errors are logged once per burst, not per attempt.
  let lastConnectionErrorLog = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastConnectionErrorLog < 10_000) return;
    lastConnectionErrorLog = now;
    logger.warn('redis.connection_error', { error: err.message });
  });
  return client;
}
