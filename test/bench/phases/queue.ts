/**
 * Phases 1 and 2: what the waiting room costs.
 *  1. enter and status through the real middy stack (JWT verification included),
 *     in-process, against real Redis at 50 concurrent callers, next to the raw ceiling:
 *     the same Lua script called with bare ioredis at the same concurrency;
 *  2. status cost with 1,000 / 100,000 / 1,000,000 users waiting, and Redis memory per
 *     waiting user.
 */
import Redis from 'ioredis';
import { combineLoads, runLoad, type LoadResult } from '../load';
import { progress } from '../progress';
import { round } from '../stats';
import { profiled, selfTime, type SelfTime } from '../cpu-profile';
import type { BenchContext } from '../context';
import { defaultQueueSettings } from '../../../lib/app';
import { formatQueueToken, newTokenId, parseQueueToken, queueKeys } from '../../../lib/queue/keys';
import { decodeEnter } from '../../../lib/queue/replies';
import { scriptArgv, scriptSource, type CommonArgs } from '../../../lib/queue/scripts';

const CONCURRENCY = 50;

interface Ticket {
  userId: string;
  jwt: string;
  token: string;
}

async function createPausedConcert(ctx: BenchContext, concertId: string) {
  await ctx.app.catalog.createConcert({ concertId, name: concertId, dates: [{ date: '2027-12-01', totalSeats: 50, price: 1000, priceTiers: [] }] });
  await ctx.app.waitingRoom.configure(concertId, { maxActive: 0 }); // everybody waits
}

function rawClient(ctx: BenchContext) {
  const client = new Redis(ctx.stack.env.REDIS_URL!, { enableAutoPipelining: true });
  client.defineCommand('rawStatus', { numberOfKeys: queueKeys('x').length, lua: scriptSource('status') });
  client.defineCommand('rawEnter', { numberOfKeys: queueKeys('x').length, lua: scriptSource('enter') });
  return client as Redis & Record<'rawStatus' | 'rawEnter', (...args: (string | number)[]) => Promise<unknown>>;
}

/** The defaults every script call carries, as the service passes them (from its configuration). */
const NO_SCHEDULE = { opensAtMs: '', closesAtMs: '', schedVer: '', totalSeats: '' };

function commonArgs(ctx: BenchContext): CommonArgs {
  const d = defaultQueueSettings(ctx.app.config);
  return {
    maxActive: d.maxActive,
    admitPerSec: d.admissionsPerSecond,
    activeMs: d.activeSessionSeconds * 1000,
    abandonMs: d.abandonAfterSeconds * 1000,
    endedRetentionMs: ctx.app.config.QUEUE_ENDED_RETENTION_SECONDS * 1000,
    expectedMs: d.expectedSessionSeconds * 1000,
  };
}

/** The poll schedule's arguments as the service passes them (its poll limit fraction; no ETA hint, as for a paused queue). */
const pollArgs = (ctx: BenchContext) => ({ pollRandom: Math.random(), waitMsPerPlace: 0, pollMinFraction: ctx.app.config.QUEUE_POLL_MIN_FRACTION });

/**
 * Slices of each status round: the handler and the bare client take turns every
 * durationMs / STATUS_SLICES, so a noisy moment of this shared machine (they last
 * seconds) falls on both alike instead of on one side of a round.
 */
const STATUS_SLICES = 10;

/** The i-th status poll through the handler, spread over the tickets. */
const handlerPoll = (ctx: BenchContext, tickets: Ticket[]) => (i: number) => {
  const t = tickets[(i * 7919) % tickets.length]!;
  return statusOnce(ctx, t.jwt, t.token);
};

/** Runs `count` calls of `op`, not timed (JIT, connections, token cache), and returns the Redis round trips each made. */
async function warmUpCountingRoundTrips(ctx: BenchContext, op: (i: number) => Promise<unknown>, count: number): Promise<number> {
  const before = ctx.counters.redisCommands;
  const warm = await runLoad(op, { concurrency: CONCURRENCY, count });
  return round((ctx.counters.redisCommands - before) / warm.ops, 3);
}

/** One status round: the handler and the bare script call, `durationMs` each, in alternating slices. */
async function statusRound(ctx: BenchContext, concertId: string, tickets: Ticket[], label: string, durationMs: number) {
  const poll = handlerPoll(ctx, tickets);
  const client = rawClient(ctx);
  const keys = queueKeys(concertId);
  const common = commonArgs(ctx);
  const parsed = tickets.map((t) => ({ tokenId: parseQueueToken(t.token)!.tokenId, userId: t.userId }));
  const rawPoll = async (i: number) => {
    const t = parsed[(i * 7919) % parsed.length]!;
    await client.rawStatus(...keys, ...scriptArgv('status', common, { tokenId: t.tokenId, userId: t.userId, limit: 1, ...pollArgs(ctx) }));
  };
  // Warm-up of both: the handler's round trips are counted on it.
  const redisRoundTripsPerRequest = await warmUpCountingRoundTrips(ctx, poll, 2000);
  await runLoad(rawPoll, { concurrency: CONCURRENCY, count: 2000 });

  const bar = progress(label, 2 * durationMs);
  const sliceMs = durationMs / STATUS_SLICES;
  const handlerParts: LoadResult[] = [];
  const rawParts: LoadResult[] = [];
  const handlerLatencies: number[] = [];
  const rawLatencies: number[] = [];
  const handlerSlice = async () => {
    handlerParts.push(await timedWithoutCounting(ctx, () => runLoad(poll, { concurrency: CONCURRENCY, durationMs: sliceMs, latencies: handlerLatencies })));
  };
  const rawSlice = async () => {
    rawParts.push(await runLoad(rawPoll, { concurrency: CONCURRENCY, durationMs: sliceMs, latencies: rawLatencies }));
  };
  for (let s = 0; s < STATUS_SLICES; s++) {
    // Either goes first in turn, so neither always inherits the other's garbage to collect.
    if (s % 2 === 0) {
      await handlerSlice();
      await rawSlice();
    } else {
      await rawSlice();
      await handlerSlice();
    }
    bar.update(2 * (s + 1) * sliceMs);
  }
  bar.stop();
  client.disconnect();
  return { status: { ...combineLoads(handlerParts, handlerLatencies), redisRoundTripsPerRequest }, raw: combineLoads(rawParts, rawLatencies) };
}

/** The status handler alone for `durationMs` (phase 2), after a warm-up on which its round trips are counted. */
async function statusLoad(ctx: BenchContext, tickets: Ticket[], label: string, durationMs: number): Promise<LoadResult & { redisRoundTripsPerRequest: number }> {
  const poll = handlerPoll(ctx, tickets);
  const redisRoundTripsPerRequest = await warmUpCountingRoundTrips(ctx, poll, 2000);
  const bar = progress(label, durationMs);
  const r = await timedWithoutCounting(ctx, () => runLoad(poll, { concurrency: CONCURRENCY, durationMs, progress: bar }));
  bar.stop();
  return { ...r, redisRoundTripsPerRequest };
}

/** Runs a timed load with the bench's counting of the app's commands off (the bare client is never counted). */
async function timedWithoutCounting<T>(ctx: BenchContext, load: () => Promise<T>): Promise<T> {
  ctx.counters.paused = true;
  try {
    return await load();
  } finally {
    ctx.counters.paused = false;
  }
}

/** One status poll through the status handler (200 or it throws). */
export async function statusOnce(ctx: BenchContext, jwt: string, token: string): Promise<void> {
  const res = await ctx.invoke(ctx.handlers.status, { headers: { authorization: `Bearer ${jwt}`, 'x-queue-token': token } });
  if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
}

/** One entry through the enter handler; its queue token. */
export async function enterOnce(ctx: BenchContext, concertId: string, jwt: string): Promise<string> {
  const res = await ctx.invoke(ctx.handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, body: { concertId } });
  if (res.status !== 201) throw new Error(`enter ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/** Entries made (and not counted) before enter is measured. */
const ENTER_WARM_UP = 5_000;

/** Rounds of each measurement; the median round is reported (5: one noisy moment of a shared machine cannot move it). */
const ROUNDS = 5;
/** Requests of each kind run under the CPU profiler after the timed rounds (cpu-profile.ts). */
const PROFILED = 5_000;
const medianIndex = Math.floor(ROUNDS / 2);

export async function queueCost(ctx: BenchContext, o: { users: number; durationMs: number }) {
  const concertId = 'bench-queue-cost';
  await createPausedConcert(ctx, concertId);
  const users = Array.from({ length: o.users }, (_, i) => `qc-${i}`);
  const jwts = await Promise.all(users.map((u) => ctx.app.identity.issueDevToken(u, false)));

  // A warm container's cost, as the status rounds measure it: the first few thousand
  // entries of a fresh process pay V8's compilation of the whole path (the first round
  // after them is still often the slowest), once per Lambda container.
  const warmConcert = 'bench-queue-cost-warm-up';
  await createPausedConcert(ctx, warmConcert);
  const warmJwts = await Promise.all(Array.from({ length: ENTER_WARM_UP }, (_, i) => ctx.app.identity.issueDevToken(`qc-warm-${i}`, false)));
  // The same path as the timed entries (a new user in a paused queue): its round trips.
  const enterRoundTrips = await warmUpCountingRoundTrips(ctx, (i) => enterOnce(ctx, warmConcert, warmJwts[i]!), ENTER_WARM_UP);

  // ROUNDS rounds of an equal share of the users; the median round is reported (one noisy
  // moment of this shared machine moves a single round's CPU figure by a third).
  const tickets: Ticket[] = [];
  const enterRounds: LoadResult[] = [];
  if (o.users < ROUNDS * CONCURRENCY) throw new Error(`phase 1 needs at least ${ROUNDS * CONCURRENCY} users (${ROUNDS} rounds of ${CONCURRENCY} callers)`);
  const roundSize = Math.ceil(o.users / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const first = r * roundSize;
    const n = Math.min(roundSize, o.users - first);
    const bar = progress(`1. enter (handler, in-process) round ${r + 1}/${ROUNDS}`, n);
    enterRounds.push(
      await timedWithoutCounting(ctx, () =>
        runLoad(
          async (k) => {
            const i = first + k;
            tickets[i] = { userId: users[i]!, jwt: jwts[i]!, token: await enterOnce(ctx, concertId, jwts[i]!) };
          },
          { concurrency: CONCURRENCY, count: n, progress: bar },
        ),
      ),
    );
    bar.stop();
  }
  const enter = [...enterRounds].sort((a, b) => a.cpuMicrosPerOp - b.cpuMicrosPerOp)[medianIndex]!;

  // Handler and baseline alternate within each of ROUNDS rounds (statusRound: A B A B ...,
  // STATUS_SLICES times) so a noisy neighbour hits both alike; the ratio is taken per
  // round and its median reported.
  const rounds: Awaited<ReturnType<typeof statusRound>>[] = [];
  for (let i = 1; i <= ROUNDS; i++) rounds.push(await statusRound(ctx, concertId, tickets, `1. status (handler | bare) round ${i}/${ROUNDS}`, o.durationMs));
  const ratios = rounds.map((r) => r.status.opsPerSecond / r.raw.opsPerSecond).sort((a, b) => a - b);
  const median = rounds.find((r) => r.status.opsPerSecond / r.raw.opsPerSecond === ratios[medianIndex])!;
  const { status, raw } = median;

  // Where the CPU goes, after the timed rounds (the profiler's own cost is in no figure
  // above): new users entering the paused queue, and polls of the tickets above.
  const profJwts = await Promise.all(Array.from({ length: PROFILED }, (_, i) => ctx.app.identity.issueDevToken(`qc-prof-${i}`, false)));
  const top = (t: SelfTime) => ({
    busyMicrosPerOp: round(t.busyMicrosPerOp, 1),
    packages: t.packages.slice(0, 8).map((g) => ({ name: g.name, microsPerOp: round(g.microsPerOp, 1) })),
  });
  const profileOf = async (request: (k: number) => Promise<unknown>) =>
    top(selfTime((await timedWithoutCounting(ctx, () => profiled(() => runLoad(request, { concurrency: CONCURRENCY, count: PROFILED })))).profile, PROFILED));
  const cpuProfile = {
    requests: PROFILED,
    enter: await profileOf((k) => enterOnce(ctx, concertId, profJwts[k]!)),
    status: await profileOf((k) => {
      const t = tickets[(k * 7919) % tickets.length]!;
      return statusOnce(ctx, t.jwt, t.token);
    }),
  };
  return {
    cpuProfile,
    concurrency: CONCURRENCY,
    enter: { ...enter, redisRoundTripsPerRequest: enterRoundTrips },
    enterCpuMicrosPerRound: enterRounds.map((e) => round(e.cpuMicrosPerOp, 1)),
    enterWarmUp: ENTER_WARM_UP,
    status,
    rawStatus: raw,
    handlerToRawRatio: round(ratios[medianIndex]!, 3),
    handlerToRawRatioPerRound: ratios.map((x) => round(x, 3)),
    statusSlicesPerRound: STATUS_SLICES,
    goal: 'handler/raw >= 0.7 and one Redis round trip per poll; enter <= 120 µs CPU',
  };
}

async function usedMemory(ctx: BenchContext): Promise<number> {
  const info = await ctx.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

export async function queueScale(ctx: BenchContext, o: { sizes: number[]; durationMs: number }) {
  const client = rawClient(ctx);
  const rows = [];
  for (const size of o.sizes) {
    const concertId = `bench-scale-${size}`;
    await createPausedConcert(ctx, concertId);
    const keys = queueKeys(concertId);
    const common = commonArgs(ctx);
    const memBefore = await usedMemory(ctx);
    const sampleEvery = Math.max(1, Math.floor(size / 5000));
    const sampled: { userId: string; token: string }[] = [];
    const bar = progress(`2. fill queue with ${size.toLocaleString('en')} users`, size);
    const fill = await runLoad(
      async (i) => {
        const userId = `s${size}-${i}`;
        const reply = decodeEnter(await client.rawEnter(...keys, ...scriptArgv('enter', common, { userId, freshTokenId: newTokenId(), freshEntryId: newTokenId(), freshDraw: '', ...NO_SCHEDULE, ...pollArgs(ctx) })));
        if (i % sampleEvery === 0) sampled.push({ userId, token: formatQueueToken(concertId, reply.tokenId) });
      },
      { concurrency: 200, count: size, progress: bar },
    );
    bar.stop();
    const memAfter = await usedMemory(ctx);
    const tickets = await Promise.all(sampled.map(async (s) => ({ ...s, jwt: await ctx.app.identity.issueDevToken(s.userId, false) })));
    const status = await statusLoad(ctx, tickets, `2. status with ${size.toLocaleString('en')} waiting`, o.durationMs);
    rows.push({
      waiting: size,
      fillOpsPerSecond: round(fill.opsPerSecond, 0),
      redisBytesPerWaitingUser: round((memAfter - memBefore) / size, 1),
      statusOpsPerSecond: round(status.opsPerSecond, 0),
      statusLatencyMs: status.latencyMs,
      statusCpuMicrosPerOp: round(status.cpuMicrosPerOp, 1),
      errors: status.errors,
    });
    // UNLINK frees the memory for the next size in a background thread: a DEL of a million
    // members blocks Redis past the app client's command timeout.
    await ctx.redis.unlink(...queueKeys(concertId));
  }
  client.disconnect();
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  return {
    rows,
    costRatioLargestToSmallest: {
      byMeanLatency: round(last.statusLatencyMs.mean / first.statusLatencyMs.mean, 3),
      byThroughput: round(first.statusOpsPerSecond / last.statusOpsPerSecond, 3),
      byCpuPerOp: round(last.statusCpuMicrosPerOp / first.statusCpuMicrosPerOp, 3),
    },
    goal: `status cost at ${last.waiting.toLocaleString('en')} <= 1.5x cost at ${first.waiting.toLocaleString('en')}`,
  };
}
