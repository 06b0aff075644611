/**
 * Phase 5: a ticket opening, simulated over HTTP through serverless-offline. A crowd
 * arrives within a few seconds, waits in the queue polling as pollAfterMs says, and
 * once admitted lists dates and seats, holds, tops up and pays, or gives up, at
 * realistic rates. Short holds and sessions keep the run to a few minutes.
 *
 * Checked and reported: oversells (must be 0), money conservation, admission order
 * against entry order (FIFO), the largest live active set (never above the maximum),
 * how long a freed slot stays empty while people wait, the wait-time distribution and
 * the honesty of the ETA given at entry and at every poll (and how often the remaining
 * wait fell inside etaRange), and requests per second by endpoint.
 *
 * The opening itself: the concert is created with salesOpenAt a little ahead, a share of
 * the crowd joins the pre-queue before it, and the rest arrive after the opening. Checked:
 * the drawn order is a permutation of the pre-queued entries in the HMAC order of the
 * revealed seed (whose sha256 is the commitment published at creation), how long after the
 * opening every pre-queued user knows a position, and, once the last seat is paid, how
 * long until every waiting user has been told SOLD_OUT.
 *
 * Transport: over HTTP (serverless-offline, the default), or in-process (`--in-process`:
 * each request calls its route's handler through its middy stack, test/bench/transport.ts,
 * with the product's own configuration), so a crowd of 100,000 is not bounded by
 * serverless-offline or the HTTP client. Either way the admission loop runs where it runs
 * in production, in its own scheduled function (serverless-offline's schedule). The
 * in-process run also reports, per endpoint, the Redis round trips, DynamoDB operations
 * and capacity and SQS messages each request caused, Redis's own count of script runs and
 * its CPU, and requests per second over time: what test/bench/capacity/model.ts predicts.
 */
import { createHash, createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { api, type ApiResponse } from '../../support/api';
import { useApp } from '../../../lib/app';
import { logger, metrics } from '../../../lib/observability';
import { auditAll } from '../../support/invariants';
import { createConcertWithQueue } from '../../../lib/use-cases/create-concert';
import { productApp, type BenchContext, type Counters } from '../context';
import { inProcessTransport, type Transport } from '../transport';
import { SIM_BEHAVIOUR, SIM_PRE_QUEUE_SHARE } from '../crowd';
import { parseQueueToken, queueKey } from '../../../lib/queue/keys';
import { fieldsOf } from '../../../lib/queue/replies';
import { progress } from '../progress';
import { percentile, round, summarize } from '../stats';

export interface SimOptions {
  users: number;
  arrivalSeconds: number;
  maxActive: number;
  admissionsPerSecond: number;
  activeSessionSeconds: number;
  holdSeconds: number;
  abandonAfterSeconds: number;
  dates: number;
  seatsPerDate: number;
  /** Stop the run after this long even if users are still waiting. */
  maxSeconds: number;
  /** The sale opens this long after the concert is created; the pre-queue is open before. */
  preQueueSeconds: number;
  /** Share of the crowd that arrives in the pre-queue, before the opening. */
  preQueueShare: number;
  /** How requests reach the service: over HTTP through serverless-offline, or to the handlers in-process. */
  transport: 'http' | 'in-process';
}

export const defaultSimOptions = (users: number): SimOptions => ({
  users,
  arrivalSeconds: 10,
  maxActive: 100,
  admissionsPerSecond: 200,
  activeSessionSeconds: 20,
  holdSeconds: 8,
  abandonAfterSeconds: 75, // above the 60 s poll tier (+10% jitter)
  dates: 4,
  seatsPerDate: 50,
  maxSeconds: 600,
  preQueueSeconds: 20,
  preQueueShare: SIM_PRE_QUEUE_SHARE,
  transport: 'http',
});

const B = SIM_BEHAVIOUR;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const think = () => sleep(B.thinkMinMs + Math.random() * B.thinkSpreadMs);
const chance = (p: number) => Math.random() < p;

/** Redis's own counters (all clients): calls per command (scripts' inner commands included) and CPU. */
async function redisServerStats(ctx: BenchContext) {
  const [stats, cpu] = await Promise.all([ctx.redis.info('commandstats'), ctx.redis.info('cpu')]);
  const calls: Record<string, { calls: number; usec: number }> = {};
  for (const m of stats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) calls[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  const num = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? NaN);
  return { calls, cpuSeconds: num('used_cpu_sys_main_thread') + num('used_cpu_user_main_thread') };
}

interface UserRecord {
  userId: string;
  token?: string;
  enteredAtMs?: number;
  etaAtEntry?: number | null;
  /** Every ETA told while waiting: [client time ms, etaSeconds, range low, range high]. */
  etas: [number, number | null, number | null, number | null, number?][];
  preQueued?: boolean;
  entryId?: string;
  /** When a pre-queued user first saw a position (client time). */
  positionKnownAtMs?: number;
  toldSoldOutAtMs?: number;
  paidAtMs?: number;
  /** Client times of WAITING answers (for "told SOLD_OUT within 2 s of the last sale"). */
  waitingAnswers: number[];
  admittedSeenAtMs?: number;
  outcome: string;
  charged: number;
}

interface Sample {
  t: number;
  live: number;
  active: number;
  waiting: number;
}

/** One Redis read of the live figures (unexpired sessions counted by Redis time). */
const SAMPLE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {'t', now, 'live', redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'), 'active', redis.call('ZCARD', KEYS[1]), 'waiting', redis.call('ZCARD', KEYS[2])}
`;

export async function ticketOpening(ctx: BenchContext, o: SimOptions) {
  process.env.TEST_BASE_URL = ctx.stack.baseUrl;
  const inProcess = o.transport === 'in-process';
  // In-process: the handlers run in this process with the product's configuration (the
  // bench's app turns the poll limit almost off for phases 1-2), counted per endpoint.
  const simCounters: Counters = { redisCommands: 0, dynamoOps: {}, byScope: {} };
  const simApp = inProcess ? productApp(ctx.stack, simCounters) : undefined;
  if (simApp) useApp(simApp);
  // Powertools puts its level back to the constructor's (INFO) at every warm invocation,
  // so the handlers' log lines (a 409 each, tens of thousands here) are muted by stubbing
  // the calls, as test/support/quiet-logs.ts does; serverless-offline's runs log at ERROR.
  // The metrics object was made before the bench set POWERTOOLS_METRICS_DISABLED, so its
  // EMF lines (one per entry) are dropped instead of printed.
  const muted = ['debug', 'info', 'warn', 'error'] as const;
  const saved = muted.map((level) => logger[level]);
  const publish = metrics.publishStoredMetrics;
  if (inProcess) {
    for (const level of muted) logger[level] = () => undefined;
    metrics.publishStoredMetrics = () => {
      metrics.clearMetrics();
      return metrics;
    };
  }
  const send: Transport = inProcess ? await inProcessTransport() : api;
  try {
    return await opening(ctx, o, send, simApp ? simCounters : undefined);
  } finally {
    muted.forEach((level, i) => (logger[level] = saved[i]!));
    metrics.publishStoredMetrics = publish;
    if (simApp) {
      useApp(ctx.app);
      await simApp.close();
    }
  }
}

async function opening(ctx: BenchContext, o: SimOptions, send: Transport, simCounters: Counters | undefined) {
  const concertId = 'bench-ticket-open';
  const dates = Array.from({ length: o.dates }, (_, d) => `2027-10-${String(d + 1).padStart(2, '0')}`);
  const created = Date.now();
  const salesOpenAt = new Date(created + o.preQueueSeconds * 1000).toISOString();
  // As an operator would: the concert, its sale window and queue settings, one request's
  // worth of work (lib/use-cases/create-concert.ts). No ETA prior is given: the service
  // takes it from the deployment's history or the queue settings.
  const concert = await createConcertWithQueue(ctx.app, {
    concertId,
    name: 'Ticket opening',
    holdSeconds: o.holdSeconds,
    salesOpenAt,
    preQueueMinutes: Math.ceil(o.preQueueSeconds / 60) + 1,
    dates: dates.map((date) => ({ date, totalSeats: o.seatsPerDate, price: 50_000, priceTiers: [{ fromSeat: 1, toSeat: 10, price: 120_000 }] })),
    queue: {
      maxActive: o.maxActive,
      admissionsPerSecond: o.admissionsPerSecond,
      activeSessionSeconds: o.activeSessionSeconds,
      abandonAfterSeconds: o.abandonAfterSeconds,
    },
  });
  const opensAtMs = Date.parse(salesOpenAt);


  const calls: Record<string, { n: number; ms: number[]; non2xx: Record<string, number>; perSecond: Map<number, number> }> = {};
  const call = async (name: string, method: string, path: string, opts: Parameters<typeof api>[2]): Promise<ApiResponse> => {
    const res = await send(method, path, opts);
    const c = (calls[name] ??= { n: 0, ms: [], non2xx: {}, perSecond: new Map() });
    c.n++;
    c.ms.push(res.ms);
    const second = Math.floor((Date.now() - opensAtMs) / 1000);
    c.perSecond.set(second, (c.perSecond.get(second) ?? 0) + 1);
    if (res.status >= 300) {
      const key = `${res.status} ${res.body?.error?.code ?? ''}`.trim();
      c.non2xx[key] = (c.non2xx[key] ?? 0) + 1;
    }
    return res;
  };

  // The sampler: live active set and queue length every 10 ms, straight from Redis.
  const samples: Sample[] = [];
  let sampling = true;
  let samplerScripts = 0;
  const serverBefore = simCounters ? await redisServerStats(ctx) : undefined;
  const sampler = (async () => {
    while (sampling) {
      samplerScripts++;
      const f = fieldsOf(await ctx.redis.eval(SAMPLE_LUA, 2, queueKey(concertId, 'active'), queueKey(concertId, 'waiting')));
      samples.push({ t: Number(f.t), live: Number(f.live), active: Number(f.active), waiting: Number(f.waiting) });
      await sleep(10);
    }
  })();

  const preCount = Math.round(o.users * o.preQueueShare);
  const records: UserRecord[] = Array.from({ length: o.users }, (_, i) => ({
    userId: `sim-${i}`,
    outcome: 'PENDING',
    charged: 0,
    etas: [],
    waitingAnswers: [],
    preQueued: i < preCount,
  }));
  const started = Date.now();
  const deadline = started + o.maxSeconds * 1000;
  let finished = 0;
  const bar = progress(`5. ticket opening, ${o.users} users`, o.users);

  const runUser = async (r: UserRecord) => {
    // Pre-queued users arrive in the 90% of the pre-queue window; the rest after the opening.
    const arriveAt = r.preQueued ? created + Math.random() * o.preQueueSeconds * 900 : opensAtMs + Math.random() * o.arrivalSeconds * 1000;
    await sleep(Math.max(0, arriveAt - Date.now()));
    const token = await ctx.app.identity.issueDevToken(r.userId, false);
    const entered = await call('POST /v1/queue/tokens', 'POST', '/v1/queue/tokens', { token, body: { concertId } });
    if (entered.status !== 201) return void (r.outcome = `ENTER_${entered.status}_${entered.body?.error?.code ?? ''}`);
    r.token = entered.body.token;
    r.entryId = entered.body.entryId;
    r.preQueued = entered.body.status === 'PRE_QUEUE';
    const queueToken = r.token!;
    let status = entered.body;
    const poll = async () => {
      const res = await call('GET /v1/queue/status', 'GET', '/v1/queue/status', { token, queueToken });
      if (res.status !== 200) throw Object.assign(new Error(`STATUS_${res.status}_${res.body?.error?.code ?? ''}`), { outcome: true });
      return res.body;
    };
    try {
      while (status.status === 'PRE_QUEUE') {
        await sleep(status.pollAfterMs);
        status = await poll();
      }
    } catch (err) {
      return void (r.outcome = (err as Error).message);
    }
    // The ETA is judged from the first answer with a position (entry, or the draw).
    r.enteredAtMs = Date.now();
    if (r.preQueued) r.positionKnownAtMs = r.enteredAtMs;
    r.etaAtEntry = status.etaSeconds ?? null;
    const giveUpAt = chance(B.giveUpShare) ? Date.now() + Math.random() * B.giveUpWithinMs : Infinity;
    while (status.status === 'WAITING') {
      r.waitingAnswers.push(Date.now());
      r.etas.push([Date.now(), status.etaSeconds, status.etaRange?.low ?? null, status.etaRange?.high ?? null, status.position]);
      if (Date.now() > deadline) return void (r.outcome = 'STILL_WAITING_AT_END');
      await sleep(status.pollAfterMs);
      if (Date.now() > giveUpAt) return void (r.outcome = 'GAVE_UP_WAITING');
      try {
        status = await poll();
      } catch (err) {
        return void (r.outcome = (err as Error).message);
      }
    }
    if (status.status === 'SOLD_OUT') {
      r.toldSoldOutAtMs = Date.now();
      return void (r.outcome = 'TOLD_SOLD_OUT');
    }
    if (status.status !== 'ACTIVE') return void (r.outcome = `EXPIRED_${status.reason ?? status.status}`);
    r.admittedSeenAtMs = Date.now();
    const gated = { token, queueToken };
    const leave = async (outcome: string) => {
      if (chance(B.leaveShare)) await call('DELETE /v1/queue/tokens/current', 'DELETE', '/v1/queue/tokens/current', gated);
      r.outcome = outcome; // else: just goes away, the session expires
    };

    await think();
    const datesRes = await call('GET /v1/concerts/{id}/dates', 'GET', `/v1/concerts/${concertId}/dates`, gated);
    const open = (datesRes.body?.dates ?? []).filter((d: { availableSeats: number }) => d.availableSeats > 0);
    if (open.length === 0) return leave('SOLD_OUT');
    const date = open[Math.floor(Math.random() * open.length)].date;

    let reservation: { reservationId: string; price: number } | undefined;
    for (let attempt = 0; attempt < B.holdAttempts && !reservation; attempt++) {
      await think();
      const seats = await call('GET /v1/concerts/{id}/dates/{date}/seats', 'GET', `/v1/concerts/${concertId}/dates/${date}/seats`, gated);
      const free = (seats.body?.seats ?? []).filter((s: { status: string }) => s.status === 'AVAILABLE');
      if (free.length === 0) break;
      const seatNo = free[Math.floor(Math.random() * free.length)].seatNo;
      const held = await call('POST /v1/reservations', 'POST', '/v1/reservations', { ...gated, body: { concertId, date, seatNo } });
      if (held.status === 201) reservation = held.body;
    }
    if (!reservation) return leave('NO_SEAT');

    await think();
    const roll = Math.random();
    if (roll < B.releaseShare) {
      await call('DELETE /v1/reservations/{id}', 'DELETE', `/v1/reservations/${reservation.reservationId}`, { token });
      return leave('RELEASED_HOLD');
    }
    if (roll < B.releaseShare + B.walkAwayShare) return void (r.outcome = 'LEFT_HOLD_TO_EXPIRE');

    const balance = (await call('GET /v1/balance', 'GET', '/v1/balance', { token })).body.balance as number;
    if (balance < reservation.price) {
      const amount = Math.ceil((reservation.price - balance) / B.topUpStepWon) * B.topUpStepWon;
      const charged = await call('POST /v1/balance/charges', 'POST', '/v1/balance/charges', {
        token,
        body: { amount },
        headers: { 'idempotency-key': `sim-charge-${r.userId}` },
      });
      if (charged.status === 201) r.charged += amount;
    }
    await think();
    const paid = await call('POST /v1/payments', 'POST', '/v1/payments', {
      ...gated,
      body: { reservationId: reservation.reservationId },
      headers: { 'idempotency-key': `sim-pay-${reservation.reservationId}` },
    });
    if (paid.status === 201) r.paidAtMs = Date.now();
    r.outcome = paid.status === 201 ? 'PAID' : `PAY_${paid.status}_${paid.body?.error?.code}`;
  };

  const t0 = performance.now();
  await Promise.all(
    records.map((r) =>
      runUser(r)
        .catch((err) => {
          r.outcome = `CLIENT_ERROR ${err instanceof Error ? err.message : String(err)}`;
        })
        .finally(() => bar.update(++finished)),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  bar.stop();
  sampling = false;
  await sampler;
  const serverAfter = serverBefore ? await redisServerStats(ctx) : undefined;

  // What the server did: the admissions log (time, seq, token) of this concert.
  const log = (await ctx.redis.xrange(queueKey(concertId, 'admissions'), '-', '+')).map(([id, fields]) => {
    const entry = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])));
    return { t: Number(id.split('-')[0]), seq: Number(entry.seq), tokenId: String(entry.token) };
  });
  const byTokenId = new Map(records.filter((r) => r.token).map((r) => [parseQueueToken(r.token!)!.tokenId, r]));

  let fifoViolations = 0;
  for (let i = 1; i < log.length; i++) if (log[i]!.seq < log[i - 1]!.seq) fifoViolations++;

  const waits: { wait: number; eta: number | null; midEta: number | null; midRemaining: number }[] = [];
  for (const a of log) {
    const r = byTokenId.get(a.tokenId);
    if (!r?.enteredAtMs) continue;
    const wait = Math.max(0, (a.t - r.enteredAtMs) / 1000);
    // The ETA told at the first poll past half the wait, against the wait that remained.
    // (Users admitted at once were never told an ETA.)
    const mid = r.etas.find(([t]) => t >= r.enteredAtMs! + (wait * 1000) / 2) ?? r.etas[r.etas.length - 1];
    waits.push({ wait, eta: r.etaAtEntry ?? null, midEta: mid?.[1] ?? null, midRemaining: mid ? Math.max(0, (a.t - mid[0]) / 1000) : 0 });
  }
  const judged = waits.filter((w) => w.eta !== null && w.wait >= 5);
  const etaErrors = judged.map((w) => w.wait - (w.eta as number));
  const etaRelErrors = judged.map((w) => Math.abs(w.wait - (w.eta as number)) / w.wait);
  // The ETA told at every poll against the wait that remained, and the 80% range's coverage.
  const perPoll: { rel: number; inRange: boolean | null; eta: number; remaining: number; t: number; position?: number }[] = [];
  for (const a of log) {
    const r = byTokenId.get(a.tokenId);
    if (!r) continue;
    for (const [t, eta, low, high, position] of r.etas) {
      const remaining = (a.t - t) / 1000;
      if (eta === null || remaining < 5) continue;
      perPoll.push({ rel: Math.abs(remaining - eta) / remaining, inRange: low === null || high === null ? null : low <= remaining && remaining <= high, eta, remaining, t: (t - opensAtMs) / 1000, position });
    }
  }
  const perPollRel = perPoll.map((p) => p.rel).sort((a, b) => a - b);
  const ranged = perPoll.filter((p) => p.inRange !== null);

  // The opening: the lottery's public record against what clients were given.
  const fairness = (await send('GET', `/v1/concerts/${concertId}/fairness`)).body;
  const drawn: string[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const res = await send('GET', `/v1/concerts/${concertId}/fairness/entries${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`sim: fairness entries answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    const page: { entries: { entryId: string }[]; nextCursor: string | null } = res.body;
    drawn.push(...page.entries.map((e: { entryId: string }) => e.entryId));
    cursor = page.nextCursor;
  }
  const preEntries = records.filter((r) => r.preQueued && r.entryId).map((r) => r.entryId!);
  const seed = fairness.seed ? Buffer.from(fairness.seed, 'hex') : undefined;
  const hmac = (id: string) => (seed ? createHmac('sha256', seed).update(id).digest('hex') : '');
  const byHmac = [...preEntries].sort((a, b) => (hmac(a) < hmac(b) ? -1 : 1));
  const positionKnown = records.filter((r) => r.positionKnownAtMs !== undefined).map((r) => r.positionKnownAtMs! - opensAtMs);
  const drawnSet = new Set(drawn);
  // (No spread of large arrays into Math.max: a crowd of 100,000 would overflow the stack.)
  const maxOf = (xs: number[], start = -Infinity) => xs.reduce((a, b) => (b > a ? b : a), start);

  // Sold out: from the last payment until every waiting user has been told.
  const lastPaid = maxOf(records.map((r) => r.paidAtMs ?? 0), 0);
  const toldSoldOut = records.filter((r) => r.toldSoldOutAtMs !== undefined).map((r) => r.toldSoldOutAtMs!);
  const waitingAnswersLate = records.reduce((n, r) => n + r.waitingAnswers.filter((t) => t > lastPaid + 2_000).length, 0);

  const midJudged = waits.filter((w) => w.midEta !== null && w.midRemaining >= 5);
  const midRelErrors = midJudged.map((w) => Math.abs(w.midRemaining - (w.midEta as number)) / w.midRemaining);

  // Freed slots left empty while people wait: stretches of samples with live < max and waiting > 0.
  const gaps: number[] = [];
  let gapStart: number | undefined;
  for (const s of samples) {
    const empty = s.live < o.maxActive && s.waiting > 0;
    if (empty && gapStart === undefined) gapStart = s.t;
    if (!empty && gapStart !== undefined) {
      gaps.push(s.t - gapStart);
      gapStart = undefined;
    }
  }

  const audit = await auditAll(concertId, dates, records.map((r) => r.userId));
  const chargedByClients = records.reduce((a, r) => a + r.charged, 0);
  const outcomes = records.reduce<Record<string, number>>((acc, r) => ((acc[r.outcome] = (acc[r.outcome] ?? 0) + 1), acc), {});

  const perSecond = new Map<number, number>();
  for (const a of log) perSecond.set(Math.floor((a.t - started) / 1000), (perSecond.get(Math.floor((a.t - started) / 1000)) ?? 0) + 1);

  return {
    options: o,
    seconds: round(seconds, 1),
    outcomes,
    // A seat with two confirmed reservations, or paid other than once (see test/support/invariants.ts).
    oversells: audit.problems.filter((p) => /sold twice|was paid \d+ times/.test(p)).length,
    auditProblems: audit.problems,
    seats: audit.seats.seats,
    money: {
      chargedByClients,
      balancesNow: audit.wallets.totalBalance,
      paidForSeats: audit.wallets.totalUsed,
      conserved: chargedByClients === audit.wallets.totalCharged && audit.wallets.totalCharged === audit.wallets.totalBalance + audit.wallets.totalUsed,
    },
    admissions: log.length,
    fifoViolations,
    largestLiveActiveSet: maxOf(samples.map((s) => s.live), 0),
    largestActiveSetIncludingUnprunedExpired: maxOf(samples.map((s) => s.active), 0),
    maxActive: o.maxActive,
    freedSlotEmptyMs: { ...summarize(gaps), samplingIntervalMs: 10 },
    waitSeconds: summarize(waits.map((w) => w.wait)),
    etaErrorSeconds: { ...summarize(etaErrors.map(Math.abs)), medianSigned: round(percentile([...etaErrors].sort((a, b) => a - b), 50), 2) },
    etaRelativeError: { p50: round(percentile([...etaRelErrors].sort((a, b) => a - b), 50), 3), p90: round(percentile([...etaRelErrors].sort((a, b) => a - b), 90), 3) },
    etaRelativeErrorHalfway: {
      p50: round(percentile([...midRelErrors].sort((a, b) => a - b), 50), 3),
      p90: round(percentile([...midRelErrors].sort((a, b) => a - b), 90), 3),
      medianSignedSeconds: round(percentile(midJudged.map((w) => w.midRemaining - (w.midEta as number)).sort((a, b) => a - b), 50), 2),
    },
    etaRelativeErrorPerPoll: {
      polls: perPoll.length,
      p50: round(percentile(perPollRel, 50), 3),
      p90: round(percentile(perPollRel, 90), 3),
      rangeCoverage: ranged.length ? round(ranged.filter((p) => p.inRange).length / ranged.length, 3) : null,
      goals: { p50: 0.15, p90: 0.4, rangeCoverage: 0.8, atEntryP50: 0.35 },
      // Every 20th poll in time order: what was told against what happened (calibration).
      samples: [...perPoll].sort((a, b) => a.t - b.t).filter((_, i) => i % 20 === 0).map((p) => ({ t: round(p.t, 1), position: p.position, eta: p.eta, remaining: round(p.remaining, 1) })),
    },
    opening: {
      preQueued: preEntries.length,
      drawnEntries: drawn.length,
      drawnIsPermutationOfPreQueue: drawn.length === preEntries.length && drawnSet.size === drawn.length && preEntries.every((e) => drawnSet.has(e)),
      seedMatchesCommitment: seed ? createHash('sha256').update(seed).digest('hex') === concert.commitment : false,
      drawnOrderMatchesSeed: seed ? drawn.every((e, i) => e === byHmac[i]) : false,
      msFromOpeningUntilEveryPreQueuedUserKnowsPosition: positionKnown.length ? maxOf(positionKnown) : null,
      msFromOpeningUntilPositionKnown: summarize(positionKnown),
    },
    soldOut: {
      seatsSold: records.filter((r) => r.paidAtMs).length,
      toldSoldOut: toldSoldOut.length,
      msFromLastSaleUntilEveryWaitingUserTold: toldSoldOut.length && lastPaid > 0 ? maxOf(toldSoldOut) - lastPaid : null,
      secondsFromOpeningToLastSale: lastPaid > 0 ? round((lastPaid - opensAtMs) / 1000, 1) : null,
      waitingAnswersMoreThan2sAfterLastSale: waitingAnswersLate,
    },
    requestsPerSecondByEndpoint: Object.fromEntries(Object.entries(calls).map(([k, c]) => [k, round(c.n / seconds, 1)])),
    latencyMsByEndpoint: Object.fromEntries(Object.entries(calls).map(([k, c]) => [k, summarize(c.ms)])),
    non2xxByEndpoint: Object.fromEntries(Object.entries(calls).filter(([, c]) => Object.keys(c.non2xx).length).map(([k, c]) => [k, c.non2xx])),
    requestsByEndpoint: Object.fromEntries(Object.entries(calls).map(([k, c]) => [k, c.n])),
    /** The run's clock: the crowd started this long before the opening (s). */
    secondsFromStartToOpening: round((opensAtMs - started) / 1000, 2),
    ...(simCounters && serverBefore && serverAfter
      ? { inProcess: inProcessFigures(send, simCounters, serverBefore, serverAfter, samplerScripts, seconds) }
      : {}),
    series: {
      /** Requests per second by endpoint, by second since the opening (negative: before it): [second, count]. */
      requestsPerSecond: Object.fromEntries(Object.entries(calls).map(([k, c]) => [k, [...c.perSecond.entries()].sort((a, b) => a[0] - b[0])])),
      queue: samples.filter((_, i) => i % 10 === 0).map((s) => ({ t: round((s.t - started) / 1000, 2), waiting: s.waiting, active: s.live })),
      admissionsPerSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([second, n]) => ({ second, admitted: n })),
      etaVsWait: waits.filter((w) => w.eta !== null).map((w) => ({ eta: w.eta, wait: round(w.wait, 2) })),
    },
  };
}

type ServerStats = Awaited<ReturnType<typeof redisServerStats>>;

/**
 * What the in-process run measured per endpoint (Redis round trips, scripts, DynamoDB
 * operations and capacity, SQS messages, each per request) and what Redis itself counted
 * over the run, from all its clients: this process's handlers, the bench's sampler and
 * the functions serverless-offline runs (the admission loop, the release consumer, the
 * sweep), which are the difference.
 */
function inProcessFigures(send: Transport, counters: Counters, before: ServerStats, after: ServerStats, samplerScripts: number, seconds: number) {
  const requests = (send as Transport & { counts?: Record<string, number> }).counts ?? {};
  const costsByEndpoint = Object.fromEntries(
    Object.entries(requests).map(([endpoint, n]) => {
      const c = counters.byScope[endpoint];
      const per = (x: number) => round(x / n, 3);
      return [
        endpoint,
        {
          requests: n,
          redisRoundTripsPerRequest: per(c?.redisCommands ?? 0),
          redisScriptsPerRequest: per(c?.redisScripts ?? 0),
          queueShardCommandsPerRequest: per(c?.queueShardCommands ?? 0),
          dynamoOpsPerRequest: Object.fromEntries(Object.entries(c?.dynamoOps ?? {}).map(([op, k]) => [op, per(k)])),
          readUnitsPerRequest: per(c?.readUnits ?? 0),
          writeUnitsPerRequest: per(c?.writeUnits ?? 0),
          sqsMessagesPerRequest: per(c?.sqsSends ?? 0),
        },
      ];
    }),
  );
  const delta = (name: string) => (after.calls[name]?.calls ?? 0) - (before.calls[name]?.calls ?? 0);
  const usec = (name: string) => (after.calls[name]?.usec ?? 0) - (before.calls[name]?.usec ?? 0);
  const scriptsSeen = delta('evalsha') + delta('eval');
  const handlerScripts = Object.entries(counters.byScope).reduce((a, [, c]) => a + c.redisScripts, 0);
  const handlerCommands = Object.entries(counters.byScope).reduce((a, [, c]) => a + c.redisCommands, 0);
  const others = scriptsSeen - handlerScripts - samplerScripts;
  return {
    costsByEndpoint,
    redis: {
      /** Round trips the handlers sent (every command is one request/response). */
      handlerRoundTrips: handlerCommands,
      handlerScripts,
      /** Script runs Redis counted from every client over the run. */
      serverScriptRuns: scriptsSeen,
      samplerScripts,
      /** Script runs of other processes: the functions serverless-offline runs (admission loop, release consumer, sweep). */
      otherProcessScripts: others,
      otherProcessScriptsPerSecond: round(others / seconds, 2),
      /** Time Redis spent inside scripts (its commandstats), per script run. */
      microsPerScript: round((usec('evalsha') + usec('eval')) / Math.max(1, scriptsSeen), 2),
      /** Redis main thread CPU over the run, per script run (all its work: I/O, parsing, scripts, other commands). */
      mainThreadCpuMicrosPerScript: round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / Math.max(1, scriptsSeen), 2),
      mainThreadCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    },
  };
}
