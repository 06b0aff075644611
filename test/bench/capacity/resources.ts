/**
 * From a crowd's requests over time (model.ts) and per-request costs (costs.ts) to what
 * AWS must carry: API Gateway requests/s, Redis commands/s on the concert's shard and in
 * all, Lambda concurrency and GB-seconds, DynamoDB request units, SQS requests, a cost at
 * published prices, and which quota or ceiling binds first.
 */
import { AWS_ASSUMPTIONS as A, AWS_QUOTAS as Q, PRICES as P, type DeploySettings, type MeasuredCosts } from './costs';
import { ENDPOINTS, type Endpoint, type Prediction } from './model';

const EPS = Object.keys(ENDPOINTS) as Endpoint[];

export interface PerSecond {
  t: number;
  apiRequests: number;
  polls: number;
  queueShardCommands: number;
  redisRoundTrips: number;
  lambdaConcurrency: number;
  readUnits: number;
  writeUnits: number;
  sqsRequests: number;
}

export interface CapacityReport {
  durationsMs: Record<Endpoint, { estimatedMs: number; billedMs: number }>;
  perSecond: PerSecond[];
  peaks: Omit<PerSecond, 't'> & { apiRequests10s: number };
  totals: { apiRequests: number; lambdaInvocations: number; lambdaGbSeconds: number; redisRoundTrips: number; queueShardCommands: number; readUnits: number; writeUnits: number; sqsRequests: number; sqsMessages: number };
  redisShard: {
    microsPerScript: number;
    ceilingPercent: number;
    /** Commands (each a script run or a plain command) one shard's main thread carries at the ceiling. */
    commandsPerSecondAtCeiling: number;
    peakUtilisationPercent: number;
    memoryMiBAtPeakWaiting: number;
  };
  cost: { lines: { item: string; usd: number; basis: string }[]; eventUsd: number; perMonthFixedUsd: number; hours: number };
  quotas: { name: string; limit: number; peak: number; share: number; usersAtLimit: number; note: string }[];
  deploy: DeploySettings;
}

/** Lambda's duration for one request of `ep` on AWS (assumptions in costs.ts), ms. */
export function lambdaMs(ep: Endpoint, costs: MeasuredCosts, memoryMb: number) {
  const c = costs.byEndpoint[ep];
  const cpuShare = Math.min(1, memoryMb / A.fullVcpuMemoryMb);
  const ms = (c.cpuMicros * A.armCpuFactor) / 1000 / cpuShare + c.redisRoundTrips * A.redisRoundTripMs + c.dynamoCalls * A.dynamoCallMs + c.sqsMessages * A.sqsSendMs;
  return { estimatedMs: ms, billedMs: Math.max(1, Math.ceil(ms)) };
}

export function capacityReport(pred: Prediction, costs: MeasuredCosts, deploy: DeploySettings): CapacityReport {
  const durationsMs = Object.fromEntries(EPS.map((ep) => [ep, lambdaMs(ep, costs, deploy.memoryMb)])) as CapacityReport['durationsMs'];
  const c = costs.byEndpoint;
  const live = (t: number) => t >= pred.timeline[0]!.t && t <= pred.totals.endSeconds;
  const perSecond: PerSecond[] = pred.timeline.map((row) => {
    let api = 0;
    let shard = 0;
    let rt = 0;
    let conc = 0;
    let ru = 0;
    let wu = 0;
    let sqs = 0;
    for (const ep of EPS) {
      const calls = row.requests[ep];
      api += calls;
      conc += (calls * durationsMs[ep].estimatedMs) / 1000;
      // Entries refused after the sale ended are answered from the catalog: no Redis, no DynamoDB.
      const n = ep === 'enter' ? calls - row.refusedEntries : calls;
      shard += n * c[ep].queueShardCommands;
      rt += n * c[ep].redisRoundTrips;
      ru += n * c[ep].readUnits;
      wu += n * c[ep].writeUnits;
      // SendMessage, then the consumer's receive and delete (batches of up to 10 on AWS: about 0.2 per message).
      sqs += n * c[ep].sqsMessages * 1.2;
    }
    // The admission loop: one script a tick on the concert's shard, one function always running.
    if (live(row.t)) {
      shard += A.admissionTicksPerSecond;
      rt += A.admissionTicksPerSecond;
      conc += 1;
    }
    return { t: row.t, apiRequests: api, polls: row.requests.status, queueShardCommands: shard, redisRoundTrips: rt, lambdaConcurrency: conc, readUnits: ru, writeUnits: wu, sqsRequests: sqs };
  });
  const max = (f: (p: PerSecond) => number) => perSecond.reduce((a, p) => Math.max(a, f(p)), 0);
  let api10 = 0;
  for (let i = 0; i < perSecond.length; i++) {
    const w = perSecond.slice(i, i + 10);
    api10 = Math.max(api10, w.reduce((a, p) => a + p.apiRequests, 0) / 10);
  }
  const peaks = {
    apiRequests: max((p) => p.apiRequests),
    apiRequests10s: api10,
    polls: max((p) => p.polls),
    queueShardCommands: max((p) => p.queueShardCommands),
    redisRoundTrips: max((p) => p.redisRoundTrips),
    lambdaConcurrency: max((p) => p.lambdaConcurrency),
    readUnits: max((p) => p.readUnits),
    writeUnits: max((p) => p.writeUnits),
    sqsRequests: max((p) => p.sqsRequests),
  };
  const sum = (f: (p: PerSecond) => number) => perSecond.reduce((a, p) => a + f(p), 0);
  const seconds = perSecond.length;
  const hours = seconds / 3600;
  const invocations = pred.totals.allRequests;
  const gbSeconds =
    EPS.reduce((a, ep) => a + pred.totals.requests[ep] * (durationsMs[ep].billedMs / 1000) * (deploy.memoryMb / 1024), 0) + seconds * (deploy.admissionMemoryMb / 1024);
  const sqsMessages = EPS.reduce((a, ep) => a + pred.totals.requests[ep] * c[ep].sqsMessages, 0);
  const totals = {
    apiRequests: sum((p) => p.apiRequests),
    lambdaInvocations: invocations + Math.ceil(seconds / 60) + sqsMessages / 10,
    lambdaGbSeconds: gbSeconds,
    redisRoundTrips: sum((p) => p.redisRoundTrips),
    queueShardCommands: sum((p) => p.queueShardCommands),
    readUnits: sum((p) => p.readUnits),
    writeUnits: sum((p) => p.writeUnits),
    sqsRequests: sum((p) => p.sqsRequests),
    sqsMessages,
  };

  const ceilingPercent = deploy.redisCpuAlarmPercent;
  const commandsPerSecondAtCeiling = ((1e6 / costs.redisMicrosPerScript) * ceilingPercent) / 100;
  const redisShard = {
    microsPerScript: costs.redisMicrosPerScript,
    ceilingPercent,
    commandsPerSecondAtCeiling,
    peakUtilisationPercent: (peaks.queueShardCommands * costs.redisMicrosPerScript) / 1e4,
    memoryMiBAtPeakWaiting: (pred.peaks.waiting * costs.redisBytesPerWaitingUser) / 2 ** 20,
  };

  const node = P.elastiCacheNodeHour[deploy.redisNodeType];
  const nodeHour = node ? (deploy.redisEngine === 'valkey' ? node.valkey : node.redis) : Number.NaN;
  const nodes = deploy.redisShards * (1 + deploy.redisReplicasPerShard);
  const endpointsHour = 2 * 2 * P.vpcEndpointHour; // SQS and SSM interface endpoints in two AZs
  const lines = [
    { item: 'API Gateway HTTP API', usd: totals.apiRequests * P.httpApiPerRequest, basis: `${fmt(totals.apiRequests)} requests` },
    { item: 'Lambda requests', usd: totals.lambdaInvocations * P.lambdaPerRequest, basis: `${fmt(totals.lambdaInvocations)} invocations` },
    { item: 'Lambda duration (arm64)', usd: gbSeconds * P.lambdaArmPerGbSecond, basis: `${fmt(gbSeconds)} GB-s` },
    { item: 'DynamoDB on-demand', usd: totals.readUnits * P.dynamoPerReadUnit + totals.writeUnits * P.dynamoPerWriteUnit, basis: `${fmt(totals.readUnits)} RRU, ${fmt(totals.writeUnits)} WRU` },
    { item: 'SQS', usd: totals.sqsRequests * P.sqsPerRequest, basis: `${fmt(totals.sqsRequests)} requests` },
    { item: 'CloudWatch Logs', usd: ((totals.lambdaInvocations * A.logBytesPerInvocation) / 1e9) * P.logsPerGb, basis: `${A.logBytesPerInvocation} B per invocation` },
    { item: 'Data out', usd: ((totals.apiRequests * A.responseBytes) / 1e9) * P.dataOutPerGb, basis: `${A.responseBytes} B per response` },
    { item: `ElastiCache ${nodes} x ${deploy.redisNodeType} (${deploy.redisEngine})`, usd: nodes * nodeHour * hours, basis: `${fmt(hours, 2)} h of the event` },
    { item: 'VPC interface endpoints', usd: endpointsHour * hours, basis: `${fmt(hours, 2)} h` },
  ];
  const cost = { lines, eventUsd: lines.reduce((a, l) => a + l.usd, 0), perMonthFixedUsd: (nodes * nodeHour + endpointsHour) * 730, hours };

  // Rates grow with the crowd (same arrival window and settings): the crowd at a limit is
  // the modelled crowd scaled by limit / peak. Stated as an extrapolation.
  const users = pred.crowd.users;
  const quota = (name: string, limit: number, peak: number, note: string) => ({ name, limit, peak, share: peak / limit, usersAtLimit: peak > 0 ? (users * limit) / peak : Infinity, note });
  const unreserved = Q.lambdaConcurrency - deploy.reservedConcurrency;
  const quotas = [
    quota('API Gateway, all routes, stage throttle (serverless.yml httpApiRateLimit)', deploy.httpApiRateLimit, peaks.apiRequests, 'this deployment'),
    quota('API Gateway, GET /v1/queue/status route throttle (queueStatusRateLimit)', deploy.queueStatusRateLimit, peaks.polls, 'this deployment'),
    quota('API Gateway, POST /v1/queue/tokens route throttle (queueEnterRateLimit)', deploy.queueEnterRateLimit, pred.peaks.byEndpoint.enter, 'this deployment'),
    quota('API Gateway, account and region (default quota)', Q.apiGatewayRequestsPerSecond, peaks.apiRequests, `burst ${fmt(Q.apiGatewayBurst)}; raised on request`),
    quota('Lambda concurrency, region (default quota, less reserved)', unreserved, peaks.lambdaConcurrency, `${deploy.reservedConcurrency} reserved for the jobs`),
    quota(`Redis shard main thread at ${ceilingPercent}% (the concert's queue is on one shard)`, commandsPerSecondAtCeiling, peaks.queueShardCommands, `${fmt(costs.redisMicrosPerScript, 1)} µs per command (bench machine)`),
  ].sort((a, b) => b.share - a.share);
  return { durationsMs, perSecond, peaks, totals, redisShard, cost, quotas, deploy };
}

export const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: d }) : String(n));
