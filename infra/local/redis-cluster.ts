/**
 * A real Redis Cluster on this machine (ElastiCache with cluster mode on, in small):
 * `masters` redis-server instances with `--cluster-enabled yes` on free ports, each with
 * its own working directory under one temp dir, joined by `redis-cli --cluster create
 * --cluster-replicas 0`. Used by `npm run test:cluster` (test/support/global-setup.ts
 * with TEST_REDIS_CLUSTER=true) and by the embedded stack's `redisCluster` option.
 *
 * No replicas: a failover is not what this exercises (test/integration/redis-restart.test.ts
 * covers lost writes); it proves the scripts and the client work with keys spread over
 * several masters, MOVED redirections and per-node script caches.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, waitFor, type Child } from './processes';
import { startRedis } from './services';

export interface RedisCluster {
  /** The client ports of the masters; any one of them is a start-up node for a client. */
  ports: number[];
  /** `redis://127.0.0.1:<first port>` (REDIS_URL with REDIS_CLUSTER=true). */
  url: string;
  children: Child[];
  stop: () => Promise<void>;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, output }));
  });
}

async function clusterReady(port: number, masters: number): Promise<boolean> {
  const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await node.connect();
    const info = String(await node.cluster('INFO'));
    return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`) && info.includes('cluster_slots_assigned:16384');
  } finally {
    node.disconnect();
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Client and cluster-bus ports both free (the default bus port, port + 10000, may not be).
    const ports: number[] = [];
    const busPorts: number[] = [];
    for (let i = 0; i < masters; i++) {
      ports.push(await freePort());
      busPorts.push(await freePort());
    }
    if (new Set([...ports, ...busPorts]).size !== 2 * masters) throw new Error('could not find distinct free ports for the Redis Cluster');
    await Promise.all(
      ports.map((port, i) => {
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        return startRedis(port, {
          args: ['--dir', nodeDir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPorts[i]), '--cluster-node-timeout', '5000'],
        }).then((child) => children.push(child));
      }),
    );
    const created = await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.code !== 0 || !created.output.includes('All 16384 slots covered')) {
      throw new Error(`redis-cli --cluster create failed (exit ${created.code}):\n${created.output.slice(-2000)}`);
    }
    // Every node must have learnt the whole slot map before a client asks any of them.
    await Promise.all(ports.map((port) => waitFor(`Redis Cluster node ${port}`, () => clusterReady(port, masters), 20_000)));
    return { ports, url: `redis://127.0.0.1:${ports[0]}`, children, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
