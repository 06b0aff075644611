/**
 * Chaos during a ticket opening (`npm run bench -- --chaos`): a crowd enters, waits,
 * holds, tops up and pays over HTTP while each backing service is killed with SIGKILL
 * and restarted, one at a time and then all together:
 *   - Redis, with its AOF (appendfsync everysec, as on ElastiCache),
 *   - DynamoDB Local, file-backed (-dbPath) so a restart keeps the data,
 *   - the SQS emulator, in memory: its messages are lost, so the sweep must free those seats,
 *   - serverless-offline (API Gateway, the functions, the schedules, the SQS poller).
 * The crowd behaves as the web app does: it retries 5xx and refused connections with the
 * same Idempotency-Keys, and enters again when the queue no longer knows its token.
 * Reported per fault: 5xx and connection errors users saw, how long until the service
 * answered normally again, and the invariants (oversells, money, the active set, every
 * unpaid hold released within hold length + sweep grace + 60 s). Everything runs on
 * 127.0.0.1 on free ports; nothing of this stack is shared with another run.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, useApp } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { queueKey } from '../../lib/queue/keys';
import { invokeAsync, startOffline } from '../../infra/local/offline';
import { freePort, type Child } from '../../infra/local/processes';
import { createResources, printService } from '../../infra/local/resources';
import { localDynamoClient, startDynamo, startRedis, startSqs } from '../../infra/local/services';
import { projectDir } from '../../infra/local/stack';
import { api, type ApiResponse } from '../support/api';
import { auditAll } from '../support/invariants';
import { summarize } from './stats';

export interface ChaosOptions {
  users: number;
  arrivalSeconds: number;
  /** When each single fault starts (s after the crowd starts); then all together. */
  faultEverySeconds: number;
  /** How long a killed service stays down before it is started again. */
  downSeconds: number;
  maxActive: number;
  holdSeconds: number;
  seatsPerDate: number;
  dates: number;
}

export const defaultChaosOptions = (quick: boolean): ChaosOptions => ({
  users: quick ? 500 : 1500,
  arrivalSeconds: quick ? 40 : 60,
  faultEverySeconds: quick ? 15 : 20,
  downSeconds: 3,
  maxActive: 50,
  holdSeconds: 10,
  seatsPerDate: quick ? 100 : 150,
  dates: 2,
});

const REGION = 'us-east-1';
const STAGE = 'local';
const SWEEP_GRACE_SECONDS = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Target = 'redis' | 'dynamodb' | 'sqs' | 'offline';

interface FaultRecord {
  name: string;
  targets: Target[];
  killedAt: number;
  restartedAt: number;
  recoveredAt?: number;
}

export async function chaosRun(o: ChaosOptions, log: (line: string) => void = console.log) {
  const ports = { http: await freePort(), lambda: await freePort(), redis: await freePort(), dynamodb: await freePort(), sqs: await freePort() };
  const redisDir = mkdtempSync(join(tmpdir(), 'chaos-redis-'));
  const dynamoDir = mkdtempSync(join(tmpdir(), 'chaos-ddb-'));
  const endpoints = { REDIS_URL: `redis://127.0.0.1:${ports.redis}`, DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.dynamodb}`, SQS_ENDPOINT: `http://127.0.0.1:${ports.sqs}` };
  const service = await printService(projectDir, STAGE);
  const names = Object.fromEntries(Object.entries(service.environment).filter(([k]) => k.startsWith('TABLE_') || k === 'HOLD_RELEASE_QUEUE_NAME')) as Record<string, string>;
  const env: Record<string, string> = {
    ...names,
    ...endpoints,
    STAGE,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    SWEEP_GRACE_SECONDS: String(SWEEP_GRACE_SECONDS),
    RATE_LIMIT_TOPUPS_PER_MINUTE: '1000',
  };
  Object.assign(process.env, env, { TEST_BASE_URL: `http://127.0.0.1:${ports.http}` });

  const provision = async () => {
    const dynamo = localDynamoClient(endpoints.DYNAMODB_ENDPOINT);
    const sqs = new SQSClient({ endpoint: endpoints.SQS_ENDPOINT, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      await createResources(service.resources, dynamo, sqs);
    } finally {
      dynamo.destroy();
      sqs.destroy();
    }
  };
  const intentional = new Set<Child>();
  const crashes: { at: number; restartedAt?: number; tail: string }[] = [];
  let restarting: Promise<void> | undefined;
  let stopping = false;
  let started = Date.now();
  const running: { redis?: Child; dynamodb?: Child; sqs?: Awaited<ReturnType<typeof startSqs>>; offline?: Child } = {};
  const start: Record<Target, () => Promise<void>> = {
    redis: async () => void (running.redis = await startRedis(ports.redis, { dataDir: redisDir })),
    dynamodb: async () => void (running.dynamodb = await startDynamo(ports.dynamodb, { dbPath: dynamoDir, heapMb: 512 })),
    // A restarted emulator has no queues: provisioned again (AWS would keep them), but their messages are gone.
    sqs: async () => {
      running.sqs = await startSqs(ports.sqs, REGION);
      if (running.dynamodb) await provision();
    },
    offline: async () => {
      const child = await startOffline({ projectDir, stage: STAGE, env, httpPort: ports.http, lambdaPort: ports.lambda, echo: false });
      running.offline = child;
      // A watchdog, as Lambda's managed runtime is one: if serverless-offline dies on its
      // own (not killed by the plan), it is started again and the crash is reported.
      child.proc.once('exit', () => {
        if (intentional.has(child) || stopping) return;
        const at = Date.now();
        crashes.push({ at, tail: child.tail().split('\n').filter((l) => /error|Error/.test(l)).slice(-3).join(' | ') });
        log(`chaos: serverless-offline exited by itself (t=${((at - started) / 1000).toFixed(0)} s); restarting it`);
        restarting = start.offline().then(() => void (crashes.at(-1)!.restartedAt = Date.now()));
      });
      // As the next scheduled run would: the admission loop starts again.
      await invokeAsync(ports.lambda, `concert-ticketing-${STAGE}-admitWaitingUsers`).catch(() => undefined);
    },
  };
  const kill: Record<Target, () => Promise<void>> = {
    redis: async () => void (await running.redis?.kill()),
    dynamodb: async () => void (await running.dynamodb?.kill()),
    sqs: async () => {
      running.sqs?.server.closeAllConnections?.();
      await running.sqs?.stop();
    },
    offline: async () => {
      if (restarting) await restarting;
      if (running.offline) intentional.add(running.offline);
      await running.offline?.kill();
    },
  };

  log('chaos: starting Redis (AOF), DynamoDB Local (file-backed), the SQS emulator and serverless-offline...');
  await Promise.all([start.redis(), start.dynamodb(), running.sqs ? Promise.resolve() : startSqs(ports.sqs, REGION).then((s) => void (running.sqs = s))]);
  await provision();
  await start.offline();

  const app = createApp(loadConfig({ ...process.env, ...env }));
  useApp(app);
  const concertId = `chaos-${Date.now().toString(36)}`;
  const dates = Array.from({ length: o.dates }, (_, d) => `2027-11-${String(d + 1).padStart(2, '0')}`);
  const admin = await app.identity.issueDevToken('chaos-admin', true);
  const created = await api('POST', '/v1/admin/concerts', {
    token: admin,
    body: {
      concertId,
      name: 'Chaos',
      holdSeconds: o.holdSeconds,
      dates: dates.map((date) => ({ date, seats: o.seatsPerDate, price: 50_000 })),
      queue: { maxActive: o.maxActive, admissionsPerSecond: 50, activeSessionSeconds: 40 },
    },
  });
  if (created.status !== 201) throw new Error(`chaos: concert creation answered ${created.status} ${JSON.stringify(created.body)}`);

  // Per second: answers by kind, as users saw them.
  started = Date.now();
  const buckets: { ok: number; client4xx: number; server5xx: number; refused: number }[] = [];
  const bucket = (t: number) => (buckets[Math.floor((t - started) / 1000)] ??= { ok: 0, client4xx: 0, server5xx: 0, refused: 0 });
  const codes5xx: Record<string, number> = {};
  const call = async (method: string, path: string, opts: Parameters<typeof api>[2]): Promise<ApiResponse | undefined> => {
    try {
      const res = await api(method, path, opts);
      const b = bucket(Date.now());
      if (res.status >= 500) {
        b.server5xx++;
        const key = `${method} ${path.replace(/[0-9a-f-]{36}|chaos-[a-z0-9]+|\d{4}-\d{2}-\d{2}/g, '{}')} ${res.status} ${res.body?.error?.code ?? ''}`.trim();
        codes5xx[key] = (codes5xx[key] ?? 0) + 1;
      } else if (res.status >= 400) b.client4xx++;
      else b.ok++;
      return res;
    } catch {
      bucket(Date.now()).refused++; // serverless-offline down: the connection is refused
      return undefined;
    }
  };
  const retryable = (res: ApiResponse | undefined) => !res || res.status >= 500 || res.status === 429;
  /** Sends until the answer is not a 5xx, a 429 or a refused connection, as the web app does. */
  const persist = async (method: string, path: string, opts: Parameters<typeof api>[2], deadline: number) => {
    for (;;) {
      const res = await call(method, path, opts);
      if (!retryable(res) || Date.now() > deadline) return res;
      await sleep(500 + Math.random() * 500);
    }
  };

  // The live active set, sampled from Redis (errors while it is down are skipped).
  const sampler = new Redis(ports.redis, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 200 });
  sampler.on('error', () => undefined);
  let largestLive = 0;
  let sampling = true;
  const sampling$ = (async () => {
    while (sampling) {
      try {
        const live = await sampler.zcount(queueKey(concertId, 'active'), `(${Date.now()}`, '+inf');
        largestLive = Math.max(largestLive, live);
      } catch {
        // Redis down
      }
      await sleep(50);
    }
  })();

  // When each reservation was last seen HELD, read from DynamoDB every 2 s.
  const heldSeen = new Map<string, { reservationId: string; date: string; seatNo: number; expiresAt: number; endedSeenAt?: number }>();
  let watching = true;
  const watch$ = (async () => {
    while (watching) {
      try {
        const items = await app.clients.dynamo.scanAll({ TableName: app.clients.dynamo.tables.reservations, FilterExpression: 'concertId = :c', ExpressionAttributeValues: { ':c': concertId }, ConsistentRead: true });
        const now = Date.now();
        for (const r of items) {
          const seen = heldSeen.get(r.reservationId) ?? { reservationId: String(r.reservationId), date: String(r.date), seatNo: Number(r.seatNo), expiresAt: Number(r.expiresAt) };
          if (r.status !== 'HELD' && r.status !== 'CONFIRMED' && seen.endedSeenAt === undefined) seen.endedSeenAt = now;
          if (r.status === 'CONFIRMED') seen.endedSeenAt = -1; // paid: not a hold to release
          heldSeen.set(r.reservationId, seen);
        }
      } catch {
        // DynamoDB down
      }
      await sleep(2000);
    }
  })();

  const outcomes: Record<string, number> = {};
  const charged = new Map<string, number>();
  const userIds: string[] = [];
  const crowdDeadline = started + (o.arrivalSeconds + o.faultEverySeconds * 5 + 40) * 1000;
  const runUser = async (i: number) => {
    const userId = `chaos-user-${i}`;
    userIds.push(userId);
    await sleep(Math.random() * o.arrivalSeconds * 1000);
    const token = await app.identity.issueDevToken(userId, false);
    const enter = () => persist('POST', '/v1/queue/tokens', { token, body: { concertId } }, crowdDeadline);
    let entered = await enter();
    let status = entered?.body;
    while (Date.now() < crowdDeadline) {
      if (!entered || entered.status >= 300) return 'ENTER_FAILED';
      const queueToken = entered.body.token;
      while (status?.status === 'WAITING' || status?.status === 'PRE_QUEUE') {
        await sleep(Math.min(status.pollAfterMs ?? 1000, 5000));
        const res = await persist('GET', '/v1/queue/status', { token, queueToken }, crowdDeadline);
        if (!res || retryable(res)) return 'GAVE_UP_WAITING';
        if (res.status === 401) break; // the queue lost the token (Redis restarted from an older state)
        status = res.body;
      }
      if (status?.status !== 'ACTIVE') {
        if (status?.status === 'SOLD_OUT') return 'SOLD_OUT';
        entered = await enter(); // lost place or session ended: enter again
        status = entered?.body;
        continue;
      }
      const gated = { token, queueToken };
      const date = dates[i % dates.length]!;
      const seats = await persist('GET', `/v1/concerts/${concertId}/dates/${date}/seats`, gated, crowdDeadline);
      const free = (seats?.body?.seats ?? []).filter((s: { status: string }) => s.status === 'AVAILABLE');
      if (free.length === 0) return seats?.status === 200 ? 'NO_SEAT' : `SEATS_${seats?.status}`;
      const seatNo = free[Math.floor(Math.random() * free.length)].seatNo;
      const held = await persist('POST', '/v1/reservations', { ...gated, body: { concertId, date, seatNo } }, crowdDeadline);
      if (held?.status === 409) continue; // someone was faster: look again
      if (held?.status === 401 || held?.status === 403) {
        entered = await enter();
        status = entered?.body;
        continue;
      }
      if (held?.status !== 201) return `HOLD_${held?.status}_${held?.body?.error?.code ?? ''}`;
      const roll = Math.random();
      if (roll < 0.1) {
        await persist('DELETE', `/v1/reservations/${held.body.reservationId}`, { token }, crowdDeadline);
        return 'RELEASED';
      }
      if (roll < 0.25) return 'LEFT_HOLD_TO_EXPIRE';
      const key = `chaos-charge-${userId}`;
      const topUp = await persist('POST', '/v1/balance/charges', { token, body: { amount: held.body.price }, headers: { 'idempotency-key': key } }, crowdDeadline);
      if (topUp?.status === 201) charged.set(key, held.body.price);
      const paid = await persist('POST', '/v1/payments', { ...gated, body: { reservationId: held.body.reservationId }, headers: { 'idempotency-key': `chaos-pay-${held.body.reservationId}` } }, crowdDeadline);
      return paid?.status === 201 ? 'PAID' : `PAY_${paid?.status}_${paid?.body?.error?.code ?? ''}`;
    }
    return 'OUT_OF_TIME';
  };

  // The faults: each service alone, then all four together.
  const faults: FaultRecord[] = [];
  let chaosError: unknown;
  const chaos$ = (async () => {
    const plan: { name: string; targets: Target[] }[] = [
      { name: 'Redis killed and restarted from its AOF', targets: ['redis'] },
      { name: 'DynamoDB Local killed and restarted (file-backed)', targets: ['dynamodb'] },
      { name: 'SQS emulator killed and restarted (messages lost)', targets: ['sqs'] },
      { name: 'serverless-offline killed and restarted', targets: ['offline'] },
      { name: 'all four killed and restarted together', targets: ['redis', 'dynamodb', 'sqs', 'offline'] },
    ];
    for (const [n, step] of plan.entries()) {
      await sleep(Math.max(0, started + (n + 1) * o.faultEverySeconds * 1000 - Date.now()));
      const killedAt = Date.now();
      await Promise.all(step.targets.map((t) => kill[t]()));
      log(`chaos: ${step.name} (t=${((killedAt - started) / 1000).toFixed(0)} s)`);
      await sleep(o.downSeconds * 1000);
      // Storage first (SQS after DynamoDB: it provisions the queues from the resources),
      // then the functions that use it.
      await Promise.all(step.targets.filter((t) => t === 'redis' || t === 'dynamodb').map((t) => start[t]()));
      if (step.targets.includes('sqs')) await start.sqs();
      if (step.targets.includes('offline')) await start.offline();
      faults.push({ name: step.name, targets: step.targets, killedAt, restartedAt: Date.now() });
    }
  })().catch((err) => void (chaosError = err));

  const results = await Promise.all(Array.from({ length: o.users }, (_, i) => runUser(i).catch((err) => `CLIENT_ERROR ${(err as Error).message}`)));
  for (const r of results) outcomes[r] = (outcomes[r] ?? 0) + 1;
  await chaos$;
  if (chaosError) throw chaosError;
  const crowdEnded = Date.now();
  log(`chaos: crowd done in ${((crowdEnded - started) / 1000).toFixed(0)} s; waiting for every unpaid hold to be released...`);

  // Every unpaid hold must end within hold + sweep grace + 60 s of its expiry being due.
  const bound = (SWEEP_GRACE_SECONDS + 60) * 1000;
  const lastExpiry = Math.max(0, ...[...heldSeen.values()].map((h) => h.expiresAt));
  while (Date.now() < lastExpiry + bound + 15_000) {
    const open = [...heldSeen.values()].filter((h) => h.endedSeenAt === undefined);
    if (open.length === 0 && Date.now() > lastExpiry) break;
    await sleep(2000);
  }
  watching = false;
  sampling = false;
  await Promise.all([watch$, sampling$]);
  sampler.disconnect();

  const unpaid = [...heldSeen.values()].filter((h) => h.endedSeenAt !== -1);
  const lateness = unpaid.filter((h) => h.endedSeenAt !== undefined).map((h) => (h.endedSeenAt! - h.expiresAt) / 1000);
  const open = unpaid.filter((h) => h.endedSeenAt === undefined);
  const neverReleased = open.length;
  // What the seat of each hold never seen ended says: freed and taken again by someone
  // else (the reservation's record alone was left behind), or still held by it.
  const unreleased = await Promise.all(
    open.map(async (h) => {
      const seat = await app.seats.getSeat(concertId, h.date, h.seatNo).catch(() => undefined);
      return {
        reservationId: h.reservationId,
        seat: `${h.date} #${h.seatNo}`,
        secondsOverdue: round((Date.now() - h.expiresAt) / 1000),
        seatStatus: seat?.status ?? null,
        seatHeldByThisHold: seat?.reservationId === h.reservationId,
      };
    }),
  );

  // Recovery: the first second after the restart from which 3 seconds in a row had answers and no 5xx or refused connection.
  const clean = (s: number) => {
    const b = buckets[s];
    return b !== undefined && b.server5xx === 0 && b.refused === 0 && b.ok > 0;
  };
  const perFault = faults.map((f, i) => {
    const from = Math.floor((f.killedAt - started) / 1000);
    const next = faults[i + 1] ? Math.floor((faults[i + 1]!.killedAt - started) / 1000) : buckets.length;
    let recovered: number | undefined;
    for (let s = Math.floor((f.restartedAt - started) / 1000); s < buckets.length; s++) {
      if (clean(s) && clean(s + 1) && clean(s + 2)) {
        recovered = s;
        break;
      }
    }
    const window = buckets.slice(from, Math.min(next, buckets.length));
    return {
      fault: f.name,
      atSecond: from,
      downSeconds: round((f.restartedAt - f.killedAt) / 1000),
      server5xx: window.reduce((n, b) => n + (b?.server5xx ?? 0), 0),
      refusedConnections: window.reduce((n, b) => n + (b?.refused ?? 0), 0),
      secondsFromRestartToNormal: recovered === undefined ? null : Math.max(0, round(recovered - (f.restartedAt - started) / 1000)),
      secondsFromKillToNormal: recovered === undefined ? null : round(recovered - (f.killedAt - started) / 1000),
    };
  });

  stopping = true;
  const audit = await auditAll(concertId, dates, userIds);
  const chargedByClients = [...charged.values()].reduce((a, b) => a + b, 0);
  await app.close();
  await Promise.all((['offline', 'redis', 'dynamodb'] as const).map((t) => running[t]?.stop().catch(() => undefined)));
  await running.sqs?.stop();
  rmSync(redisDir, { recursive: true, force: true });
  rmSync(dynamoDir, { recursive: true, force: true });

  return {
    options: o,
    sweepGraceSeconds: SWEEP_GRACE_SECONDS,
    seconds: round((crowdEnded - started) / 1000),
    outcomes,
    faults: perFault,
    offlineCrashes: crashes.map((c) => ({ atSecond: round((c.at - started) / 1000), restartedAfterSeconds: c.restartedAt ? round((c.restartedAt - c.at) / 1000) : null, error: c.tail })),
    server5xxByRoute: codes5xx,
    invariants: {
      oversells: audit.problems.filter((p) => /sold twice|was paid \d+ times/.test(p)).length,
      auditProblems: audit.problems,
      seats: audit.seats.seats,
      money: {
        chargedByClients,
        chargedInLedgers: audit.wallets.totalCharged,
        balancesNow: audit.wallets.totalBalance,
        paidForSeats: audit.wallets.totalUsed,
        conserved: chargedByClients === audit.wallets.totalCharged && audit.wallets.totalCharged === audit.wallets.totalBalance + audit.wallets.totalUsed,
      },
      largestLiveActiveSet: largestLive,
      maxActive: o.maxActive,
      unpaidHolds: unpaid.length,
      unpaidHoldsNeverReleased: neverReleased,
      unreleased,
      releaseSecondsAfterExpiry: summarize(lateness),
      releaseBoundSeconds: SWEEP_GRACE_SECONDS + 60,
      everyUnpaidHoldReleasedWithinBound: neverReleased === 0 && lateness.every((l) => l <= SWEEP_GRACE_SECONDS + 60 + 2),
    },
    series: buckets.map((b, second) => ({ second, ok: b?.ok ?? 0, server5xx: b?.server5xx ?? 0, refused: b?.refused ?? 0, client4xx: b?.client4xx ?? 0 })),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
