/**
 * The capacity model's cost half: what one request of each endpoint costs (Redis round
 * trips, CPU, DynamoDB request units, SQS messages), read from a benchmark run's
 * results.json, the deployment settings read from serverless.yml, and AWS's published
 * prices. Every figure that is not measured is a named constant with where it comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINTS, type Endpoint } from './model';

export interface EndpointCost {
  /** Requests and replies with Redis per request (every command, pipelined or not). */
  redisRoundTrips: number;
  /** Of those, script runs (EVALSHA): the waiting room's scripts and the limits' script. */
  redisScripts: number;
  /** Of those, commands on the concert's queue keys (hash tag {q:<concertId>}): its shard. */
  queueShardCommands: number;
  /** Handler CPU per request on the bench machine, µs (JWT, middy, zod, clients). */
  cpuMicros: number;
  /** DynamoDB calls per request (each a network round trip). */
  dynamoCalls: number;
  /** DynamoDB request units per request, as DynamoDB reports consumed capacity. */
  readUnits: number;
  writeUnits: number;
  sqsMessages: number;
  /** Where the figures come from. */
  source: string;
}

export interface MeasuredCosts {
  byEndpoint: Record<Endpoint, EndpointCost>;
  /** Redis main-thread CPU per script run, µs (bench machine). */
  redisMicrosPerScript: number;
  /** Redis memory per waiting user, bytes. */
  redisBytesPerWaitingUser: number;
  sources: string[];
}

/**
 * Measured in in-process openings of 2,000 users on 2026-12-07 (`npm run bench -- --only
 * sim --in-process --users 2000`, DynamoDB Local reporting consumed capacity; the
 * queue-shard counts from the second run; not committed): used when the results.json
 * read has no per-endpoint figures. The seat
 * map and dates are served from a 1 s per-container cache (SEAT_LISTING_CACHE_MS), so
 * their DynamoDB reads per request depend on how many containers serve them: one here.
 */
export const FALLBACK_ENDPOINT_COSTS: Record<Endpoint, Omit<EndpointCost, 'cpuMicros' | 'source'>> = {
  enter: { redisRoundTrips: 1.015, redisScripts: 1.014, queueShardCommands: 1.0, dynamoCalls: 0.03, readUnits: 0.015, writeUnits: 0, sqsMessages: 0 },
  status: { redisRoundTrips: 1.0, redisScripts: 1.0, queueShardCommands: 1.0, dynamoCalls: 0, readUnits: 0, writeUnits: 0, sqsMessages: 0 },
  leave: { redisRoundTrips: 2.0, redisScripts: 2.0, queueShardCommands: 1.0, dynamoCalls: 0, readUnits: 0, writeUnits: 0, sqsMessages: 0 },
  dates: { redisRoundTrips: 1.0, redisScripts: 1.0, queueShardCommands: 1.0, dynamoCalls: 0.442, readUnits: 0.473, writeUnits: 0, sqsMessages: 0 },
  seats: { redisRoundTrips: 1.0, redisScripts: 1.0, queueShardCommands: 1.0, dynamoCalls: 0.117, readUnits: 0.129, writeUnits: 0, sqsMessages: 0 },
  hold: { redisRoundTrips: 4.78, redisScripts: 3.593, queueShardCommands: 2.37, dynamoCalls: 2.403, readUnits: 1.602, writeUnits: 6.467, sqsMessages: 0.797 },
  release: { redisRoundTrips: 3.0, redisScripts: 3.0, queueShardCommands: 1.0, dynamoCalls: 3.0, readUnits: 2.0, writeUnits: 8.0, sqsMessages: 0 },
  balance: { redisRoundTrips: 0, redisScripts: 0, queueShardCommands: 0, dynamoCalls: 1.0, readUnits: 1.0, writeUnits: 0, sqsMessages: 0 },
  charge: { redisRoundTrips: 1.0, redisScripts: 1.0, queueShardCommands: 0, dynamoCalls: 3.0, readUnits: 2.0, writeUnits: 2.0, sqsMessages: 0 },
  pay: { redisRoundTrips: 3.0, redisScripts: 3.0, queueShardCommands: 3.0, dynamoCalls: 6.005, readUnits: 5.0, writeUnits: 8.005, sqsMessages: 0 },
};

/** Handler CPU of an entry and a poll when no results.json has them: the full run of 2026-11-23 (bench-results/latest, phase 1). */
export const FALLBACK_ENTER_CPU_MICROS = 252;
export const FALLBACK_STATUS_CPU_MICROS = 50;
/**
 * Not measured per endpoint: the other handlers are taken to cost a poll's CPU plus this
 * much per DynamoDB call (the SDK's signing, marshalling and parsing). An assumption; the
 * booking endpoints are a small share of requests, see docs/capacity.md.
 */
export const ASSUMED_CPU_MICROS_PER_DYNAMO_CALL = 200;
/** Redis main-thread CPU per script run when no in-process run has measured it, µs: the in-process opening of 100,000 users on 2026-12-07 (bench machine; the 2,000-user runs gave 110, idle overhead spread over fewer scripts). */
export const FALLBACK_REDIS_MICROS_PER_SCRIPT = 79;
/** Redis memory per waiting user when no scale phase has measured it (bench-results/latest, 2026-11-23). */
export const FALLBACK_REDIS_BYTES_PER_WAITING_USER = 475;

/** The per-request costs from a benchmark results.json (test/bench/report.ts), with the fallbacks above. */
export function loadMeasuredCosts(resultsPath: string, label = resultsPath): MeasuredCosts {
  const sources: string[] = [];
  let r: any = {};
  if (existsSync(resultsPath)) {
    r = JSON.parse(readFileSync(resultsPath, 'utf8'));
    sources.push(`${label} (run ${r.machine?.at ?? '?'}, \`${r.command ?? '?'}\`)`);
  } else sources.push(`${label} not found: fallbacks only`);
  return costsFrom(r, sources);
}

/** The per-request costs from a results object (`{}`: the fallbacks). */
export function costsFrom(r: any, sources: string[] = []): MeasuredCosts {
  const q = r.queueCost;
  const enterCpu = Number(q?.enter?.cpuMicrosPerOp) || FALLBACK_ENTER_CPU_MICROS;
  const statusCpu = Number(q?.status?.cpuMicrosPerOp) || FALLBACK_STATUS_CPU_MICROS;
  sources.push(q ? 'enter and status: CPU and Redis round trips from phase 1 (queueCost)' : `enter and status CPU: fallbacks ${FALLBACK_ENTER_CPU_MICROS} / ${FALLBACK_STATUS_CPU_MICROS} µs`);
  const measured = r.simulation?.inProcess?.costsByEndpoint as Record<string, any> | undefined;
  sources.push(measured ? 'other endpoints: Redis, DynamoDB and SQS per request from the in-process opening (simulation.inProcess)' : 'other endpoints: fallbacks measured in the in-process opening of 2026-12-07');
  const byEndpoint = {} as Record<Endpoint, EndpointCost>;
  for (const [ep, route] of Object.entries(ENDPOINTS) as [Endpoint, string][]) {
    const m = measured?.[route];
    const f = FALLBACK_ENDPOINT_COSTS[ep];
    const dynamoCalls = m ? Object.values(m.dynamoOpsPerRequest as Record<string, number>).reduce((a, b) => a + b, 0) : f.dynamoCalls;
    const base: EndpointCost = m
      ? {
          redisRoundTrips: m.redisRoundTripsPerRequest,
          redisScripts: m.redisScriptsPerRequest,
          queueShardCommands: m.queueShardCommandsPerRequest ?? f.queueShardCommands,
          dynamoCalls,
          readUnits: m.readUnitsPerRequest,
          writeUnits: m.writeUnitsPerRequest,
          sqsMessages: m.sqsMessagesPerRequest,
          cpuMicros: 0,
          source: 'measured (in-process opening)',
        }
      : { ...f, cpuMicros: 0, source: 'fallback' };
    if (ep === 'enter' && q) base.redisRoundTrips = q.enter.redisRoundTripsPerRequest;
    if (ep === 'status' && q) base.redisRoundTrips = q.status.redisRoundTripsPerRequest;
    base.cpuMicros = ep === 'enter' ? enterCpu : ep === 'status' ? statusCpu : statusCpu + ASSUMED_CPU_MICROS_PER_DYNAMO_CALL * dynamoCalls;
    byEndpoint[ep] = base;
  }
  const redisMicros = Number(r.simulation?.inProcess?.redis?.mainThreadCpuMicrosPerScript) || FALLBACK_REDIS_MICROS_PER_SCRIPT;
  sources.push(r.simulation?.inProcess?.redis ? 'Redis CPU per script: Redis main thread over the in-process opening' : `Redis CPU per script: fallback ${FALLBACK_REDIS_MICROS_PER_SCRIPT} µs`);
  const scaleRows = r.queueScale?.rows as { redisBytesPerWaitingUser: number }[] | undefined;
  const bytes = scaleRows?.length ? scaleRows[scaleRows.length - 1]!.redisBytesPerWaitingUser : FALLBACK_REDIS_BYTES_PER_WAITING_USER;
  return { byEndpoint, redisMicrosPerScript: redisMicros, redisBytesPerWaitingUser: bytes, sources };
}

// ---------------------------------------------------------------------------------------
// AWS prices. Region us-east-1 (N. Virginia), on-demand, list prices as published on the
// AWS pricing pages (aws.amazon.com/<service>/pricing) and checked on 2026-12-07; no free
// tier, no Savings Plans or reserved nodes. Prices change: re-check before relying on them.
// ---------------------------------------------------------------------------------------
export const PRICES = {
  region: 'us-east-1',
  checked: '2026-12-07',
  /** Lambda arm64 duration, first 7.5 billion GB-s a month. */
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  /** API Gateway HTTP API, first 300 million requests a month (per 512 KB). */
  httpApiPerRequest: 1.0 / 1e6,
  /** DynamoDB on-demand (after the November 2024 price cut). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  dynamoPerReadUnit: 0.125 / 1e6,
  /** SQS standard queue, per request (64 KB chunk). */
  sqsPerRequest: 0.4 / 1e6,
  /**
   * ElastiCache on-demand node-hour. cache.r7g.large lists at $0.219 for Redis OSS;
   * node-based Valkey is priced 20% lower. Other node types: add them here.
   */
  elastiCacheNodeHour: { 'cache.r7g.large': { redis: 0.219, valkey: 0.219 * 0.8 } } as Record<string, { redis: number; valkey: number }>,
  /** VPC interface endpoint (SQS, SSM) per AZ-hour. */
  vpcEndpointHour: 0.01,
  /** CloudWatch Logs ingestion, standard class, per GB. */
  logsPerGb: 0.5,
  /** Data transfer out to the internet, first 10 TB a month, per GB. */
  dataOutPerGb: 0.09,
} as const;

// Assumptions about AWS that turn the bench's figures into Lambda durations (not measured here).
export const AWS_ASSUMPTIONS = {
  /** Lambda gives a function a full vCPU at 1,769 MB and a proportional share below (AWS docs). */
  fullVcpuMemoryMb: 1769,
  /** Graviton (arm64) CPU time per µs of bench-machine CPU: taken as equal. */
  armCpuFactor: 1.0,
  /** One Redis round trip from Lambda in the VPC to ElastiCache in the same region with TLS, ms. */
  redisRoundTripMs: 0.5,
  /** One DynamoDB call (GetItem to TransactWriteItems, mixed), ms. */
  dynamoCallMs: 6,
  /** One SQS SendMessage, ms. */
  sqsSendMs: 8,
  /** Bytes of CloudWatch Logs per invocation (START, END and REPORT platform lines) plus the service's own lines on average. */
  logBytesPerInvocation: 400,
  /** Bytes sent back per API response (JSON body and headers). */
  responseBytes: 700,
  /** The admission loop: one script run per live concert every ADMISSION_TICK_MS (250 ms). */
  admissionTicksPerSecond: 4,
  /** Redis main thread: the ElastiCache CPU alarm (serverless.yml alarmRedisEngineCpuPercent) is the ceiling used. */
} as const;

// AWS default quotas (per account and region), which a deployment may raise by request.
export const AWS_QUOTAS = {
  /** API Gateway: throttle for all APIs of an account in a region, requests/s (burst 5,000). */
  apiGatewayRequestsPerSecond: 10_000,
  apiGatewayBurst: 5_000,
  /** Lambda: concurrent executions per region. */
  lambdaConcurrency: 1_000,
  /** Lambda: each function scales by up to 1,000 execution environments every 10 s. */
  lambdaScaleUpPer10s: 1_000,
} as const;

export interface DeploySettings {
  redisEngine: string;
  redisNodeType: string;
  redisShards: number;
  redisReplicasPerShard: number;
  memoryMb: number;
  admissionMemoryMb: number;
  httpApiRateLimit: number;
  httpApiBurstLimit: number;
  queueEnterRateLimit: number;
  queueStatusRateLimit: number;
  reservedConcurrency: number;
  redisCpuAlarmPercent: number;
  source: string;
}

/** The deployment's settings from serverless.yml (the default params and the provider block). */
export function readDeploySettings(projectDir: string): DeploySettings {
  const file = join(projectDir, 'serverless.yml');
  const yml = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const param = (name: string, fallback: string) => new RegExp(`^\\s+${name}:\\s*['"]?([^'"\\s#]+)`, 'm').exec(yml)?.[1] ?? fallback;
  const num = (name: string, fallback: number) => Number(param(name, String(fallback)));
  const provider = /provider:[\s\S]*?\n {2}memorySize:\s*(\d+)/.exec(yml);
  const admission = /admitWaitingUsers:[\s\S]*?memorySize:\s*(\d+)/.exec(yml);
  return {
    redisEngine: param('redisEngine', 'valkey'),
    redisNodeType: param('redisNodeType', 'cache.r7g.large'),
    redisShards: num('redisShards', 2),
    redisReplicasPerShard: num('redisReplicasPerShard', 1),
    memoryMb: Number(provider?.[1] ?? 512),
    admissionMemoryMb: Number(admission?.[1] ?? 256),
    httpApiRateLimit: num('httpApiRateLimit', 5000),
    httpApiBurstLimit: num('httpApiBurstLimit', 2500),
    queueEnterRateLimit: num('queueEnterRateLimit', 2000),
    queueStatusRateLimit: num('queueStatusRateLimit', 3000),
    reservedConcurrency: num('releaseConcurrency', 10) + num('admissionConcurrency', 2) + num('sweepConcurrency', 1),
    redisCpuAlarmPercent: num('alarmRedisEngineCpuPercent', 80),
    source: yml ? 'serverless.yml (params.default, provider)' : 'serverless.yml not found: defaults',
  };
}
