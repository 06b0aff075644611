/**
 * The whole service on one machine: backing services (embedded, or LocalStack + Redis
 * from docker-compose.yml), tables and queues from infra/resources.yml, and
 * serverless-offline on top. Used by `npm start` (infra/local/start.ts) and by the
 * test suite's global setup, so both run exactly the same stack.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createResources, printService, type ResolvedService } from './resources';
import { invokeAsync, startOffline } from './offline';
import { freePort, stopAll, waitFor, type Child } from './processes';
import { checkEmbeddedPrerequisites, formatMissing } from './prerequisites';
import { localDynamoClient, startDynamo, startRedis, startSqs } from './services';
import { startRedisCluster } from './redis-cluster';

export type Backend = 'embedded' | 'localstack';

export interface StackOptions {
  stage: string;
  backend: Backend;
  httpPort: number;
  /** serverless-offline's Lambda invoke port; a free one if not given. */
  lambdaPort?: number;
  /** Extra environment for the functions (e.g. shorter sessions in tests). */
  env?: Record<string, string>;
  echo?: boolean;
  offlineLogFile?: string;
  /** Start serverless-offline (false: only the backing services and resources). */
  offline?: boolean;
  /** Rebuild changed functions incrementally (`npm run dev`; see OfflineOptions.watch). */
  watch?: boolean;
  /** Embedded only: a 3-master Redis Cluster (redis-cluster.ts) instead of one redis-server, REDIS_CLUSTER=true. */
  redisCluster?: boolean;
  log?: (line: string) => void;
}

export interface RunningStack {
  /** Environment under which lib/ code talks to this stack (endpoints, names, secret). */
  env: Record<string, string>;
  baseUrl: string;
  ports: { http: number; lambda: number; redis?: number; redisCluster?: number[]; dynamodb?: number; sqs?: number };
  /** The resolved CloudFormation resources the tables and queues were created from. */
  resources: ResolvedService['resources'];
  children: Child[];
  stop: () => Promise<void>;
}

export const projectDir = resolve(__dirname, '..', '..');
const REGION = 'us-east-1';

interface Services {
  endpoints: { REDIS_URL: string; DYNAMODB_ENDPOINT: string; SQS_ENDPOINT: string; REDIS_CLUSTER?: string };
  ports: { redis?: number; redisCluster?: number[]; dynamodb?: number; sqs?: number };
  children: Child[];
  /** Stops what stopAll() does not (in-process servers, temp directories). */
  cleanUp: () => Promise<void>;
}

async function embeddedServices(log: (l: string) => void, redisCluster: boolean): Promise<Services> {
  const [redisPort, dynamoPort, sqsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const [redis, dynamo, sqs] = await Promise.all([
    redisCluster ? startRedisCluster() : startRedis(redisPort),
    startDynamo(dynamoPort),
    startSqs(sqsPort, REGION),
  ]);
  const cluster = 'ports' in redis ? redis : undefined;
  log(`${cluster ? `Redis Cluster (masters on ${cluster.ports.join(', ')})` : `redis-server on ${redisPort}`}, DynamoDB Local on ${dynamoPort}, SQS emulator on ${sqsPort}`);
  return {
    endpoints: {
      REDIS_URL: cluster ? cluster.url : `redis://127.0.0.1:${redisPort}`,
      ...(cluster ? { REDIS_CLUSTER: 'true' } : {}),
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${dynamoPort}`,
      SQS_ENDPOINT: `http://127.0.0.1:${sqsPort}`,
    },
    ports: { redis: cluster ? cluster.ports[0] : redisPort, ...(cluster ? { redisCluster: cluster.ports } : {}), dynamodb: dynamoPort, sqs: sqsPort },
    children: [...(cluster ? cluster.children : [redis as Child]), dynamo],
    // After stopAll(): the in-process SQS emulator, and the cluster's temp directory.
    cleanUp: async () => {
      await sqs.stop();
      await cluster?.stop();
    },
  };
}

async function localstackServices(log: (l: string) => void): Promise<Services> {
  const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://127.0.0.1:4566';
  const endpoints = {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT ?? endpoint,
    SQS_ENDPOINT: process.env.SQS_ENDPOINT ?? endpoint,
  };
  const dynamo = localDynamoClient(endpoints.DYNAMODB_ENDPOINT);
  await waitFor(
    `LocalStack at ${endpoints.DYNAMODB_ENDPOINT} (docker compose up -d)`,
    async () => Array.isArray((await dynamo.send(new ListTablesCommand({}))).TableNames),
    60_000,
  );
  dynamo.destroy();
  log(`LocalStack at ${endpoint}, Redis at ${endpoints.REDIS_URL}`);
  return { endpoints, ports: {}, children: [], cleanUp: async () => undefined };
}

export async function startStack(o: StackOptions): Promise<RunningStack> {
  const log = o.log ?? (() => undefined);
  if (o.backend === 'embedded') {
    const missing = checkEmbeddedPrerequisites();
    if (missing.length > 0) throw new Error(formatMissing(missing));
  }
  const jwtSecret = process.env.JWT_SECRET ?? randomBytes(32).toString('base64url');
  // `serverless print` (a few seconds) runs while the services start.
  const printed = printService(projectDir, o.stage);
  printed.catch(() => undefined); // awaited below; this only avoids an unhandled rejection if the services fail first
  let started: Services | undefined;
  try {
    const services = o.backend === 'embedded' ? await embeddedServices(log, o.redisCluster ?? false) : await localstackServices(log);
    started = services;
    const service = await printed;

    const dynamo = localDynamoClient(services.endpoints.DYNAMODB_ENDPOINT);
    const sqs = new SQSClient({ endpoint: services.endpoints.SQS_ENDPOINT, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const created = await createResources(service.resources, dynamo, sqs);
    dynamo.destroy();
    sqs.destroy();
    log(`tables: ${created.tables.join(', ')}; queues: ${created.queues.join(', ')}`);

    const names = Object.fromEntries(Object.entries(service.environment).filter(([k]) => k.startsWith('TABLE_') || k === 'HOLD_RELEASE_QUEUE_NAME'));
    const env: Record<string, string> = {
      ...names,
      ...o.env,
      ...services.endpoints,
      STAGE: o.stage,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      JWT_SECRET: jwtSecret,
    };
    const lambdaPort = o.lambdaPort ?? (await freePort());
    const children = [...services.children];
    if (o.offline !== false) {
      children.push(
        await startOffline({ projectDir, stage: o.stage, env, httpPort: o.httpPort, lambdaPort, echo: o.echo ?? false, logFile: o.offlineLogFile, watch: o.watch }),
      );
      // The schedule first fires at the next full minute; start the admission loop now.
      await invokeAsync(lambdaPort, `concert-ticketing-${o.stage}-admitWaitingUsers`).catch((err) => log(`could not start the admission loop early: ${err}`));
    }
    const cleanUp = services.cleanUp;
    return {
      env,
      baseUrl: `http://127.0.0.1:${o.httpPort}`,
      ports: { http: o.httpPort, lambda: lambdaPort, ...services.ports },
      resources: service.resources,
      children,
      stop: async () => {
        await stopAll();
        await cleanUp();
      },
    };
  } catch (err) {
    await stopAll();
    await started?.cleanUp();
    throw err;
  }
}
