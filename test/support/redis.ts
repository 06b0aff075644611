/**
 * A direct connection to the test stack's Redis, for tests that run the waiting room's
 * scripts or read its keys: one redis-server, or (`npm run test:cluster`,
 * REDIS_CLUSTER=true) an ioredis Cluster over the 3-master cluster, the same client
 * type lib/clients/redis.ts builds.
 */
import Redis, { Cluster } from 'ioredis';
import type { RedisClient } from '../../lib/clients/redis';

export const onCluster = () => process.env.REDIS_CLUSTER === 'true';

export function connectTestRedis(): RedisClient {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run through jest (the global setup starts the stack)');
  if (!onCluster()) return new Redis(url);
  const { hostname, port } = new URL(url);
  return new Cluster([{ host: hostname, port: Number(port) }]);
}

/** The cluster's masters, one plain connection each (to see where keys really live). */
export function connectClusterMasters(): { port: number; redis: Redis }[] {
  const ports = (process.env.TEST_REDIS_CLUSTER_PORTS ?? '').split(',').filter(Boolean).map(Number);
  if (ports.length === 0) throw new Error('TEST_REDIS_CLUSTER_PORTS is not set: run through `npm run test:cluster`');
  return ports.map((port) => ({ port, redis: new Redis({ host: '127.0.0.1', port }) }));
}
