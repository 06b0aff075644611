/**
 * `npm run bench:profile-enter`: where a queue entry's CPU goes (`-- --op status`: a
 * status poll's; `-- --op hold-loser`: a hold refused because another user holds the seat). Starts the embedded stack, warms the handler up, then runs `--users`
 * requests (default 20,000, 50 at a time) in-process under the V8 CPU profiler and prints
 * the functions with the most self time, grouped by package. Writes the .cpuprofile next
 * to the report (bench-results/profiles/, not committed) for Chrome DevTools. `--heap`
 * instead samples what the requests allocate (garbage included), by package and function.
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack } from '../../infra/local/stack';
import { freePort } from '../support/private-services';
import { profiled, selfTime, where } from './cpu-profile';
import { loadContext } from './context';
import { runLoad } from './load';
import { enterOnce, statusOnce } from './phases/queue';

const { values: args } = parseArgs({ options: { users: { type: 'string', default: '20000' }, op: { type: 'string', default: 'enter' }, heap: { type: 'boolean', default: false } } });

/** A sampling heap profile's call tree (HeapProfiler.stopSampling), with the garbage kept. */
interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** `--heap`: the bytes allocated per request (garbage included: what the collector then spends its time on), by package and function. */
async function heapProfile(session: Session, count: number, run: () => Promise<unknown>): Promise<void> {
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await run();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  const visit = (n: HeapNode) => {
    if (n.selfSize > 0) {
      const g = where(n.callFrame.url);
      groups.set(g, (groups.get(g) ?? 0) + n.selfSize);
      const key = `${n.callFrame.functionName || '(anonymous)'} ${g}:${n.callFrame.lineNumber + 1}`;
      fns.set(key, (fns.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    n.children.forEach(visit);
  };
  visit(profile.head);
  const perOp = (b: number) => `${Math.round(b / count).toLocaleString('en')} B`;
  console.log(`\nallocated by package (${perOp(total)} per request, sampled every 512 bytes):`);
  for (const [g, b] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${perOp(b).padStart(9)}  ${((100 * b) / total).toFixed(1).padStart(5)} %  ${g}`);
  console.log('\ntop allocating functions:');
  for (const [f, b] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${perOp(b).padStart(9)}  ${f}`);
}

const tokens = (ctx: ReturnType<typeof loadContext>, prefix: string, count: number) =>
  Promise.all(Array.from({ length: count }, (_, i) => ctx.app.identity.issueDevToken(`${prefix}-${i}`, false)));

type Ctx = ReturnType<typeof loadContext>;

/** One hold of seat 1 through the hold handler; the HTTP status. */
async function holdOnce(ctx: Ctx, concertId: string, jwt: string, queueToken: string): Promise<number> {
  const res = await ctx.invoke(ctx.handlers.hold, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'x-queue-token': queueToken }, body: { concertId, date: '2027-12-01', seatNo: 1 } });
  return res.status;
}

/** `count` requests, 50 at a time (bench phase 1's concurrency); any failure stops the tool. */
async function load(count: number, request: (i: number) => Promise<unknown>) {
  const r = await runLoad(request, { concurrency: 50, count });
  if (r.errors > 0) throw new Error(`${r.errors} of ${count} requests failed: ${r.firstError}`);
  return r;
}

/** The profiled load of `--op` (its warm-up run first, not profiled). */
async function prepare(ctx: Ctx, concertId: string, count: number): Promise<{ warm: () => Promise<unknown>; run: () => ReturnType<typeof load> }> {
  if (args.op === 'enter') {
    const warmJwts = await tokens(ctx, 'warm', 5000);
    const jwts = await tokens(ctx, 'prof', count); // signed before the profiler starts
    return {
      warm: () => load(warmJwts.length, (i) => enterOnce(ctx, concertId, warmJwts[i]!)),
      run: () => load(count, (i) => enterOnce(ctx, concertId, jwts[i]!)),
    };
  }
  if (args.op === 'status') {
    const jwts = await tokens(ctx, 'prof', 5000);
    const queueTokens: string[] = [];
    await load(jwts.length, async (i) => {
      queueTokens[i] = await enterOnce(ctx, concertId, jwts[i]!);
    });
    const poll = (i: number) => statusOnce(ctx, jwts[(i * 7919) % jwts.length]!, queueTokens[(i * 7919) % jwts.length]!);
    return { warm: () => load(5000, poll), run: () => load(count, poll) };
  }
  if (args.op === 'hold-loser') {
    // Bench phase 3's losers: active users asking for a seat someone else holds (409 from the seat claim).
    await ctx.app.waitingRoom.configure(concertId, { maxActive: 100_000, admissionsPerSecond: 100_000 });
    // Enough users that none asks more than 10 times (the holds limit is 20 a minute).
    const jwts = await tokens(ctx, 'prof', Math.max(5000, Math.ceil(count / 10)));
    const queueTokens: string[] = [];
    await load(jwts.length, async (i) => {
      queueTokens[i] = await enterOnce(ctx, concertId, jwts[i]!);
    });
    const [winnerJwt] = await tokens(ctx, 'prof-winner', 1);
    const held = await holdOnce(ctx, concertId, winnerJwt!, await enterOnce(ctx, concertId, winnerJwt!));
    if (held !== 201) throw new Error(`the winner's hold: ${held}`);
    const lose = async (i: number) => {
      const k = (i * 7919) % jwts.length;
      const status = await holdOnce(ctx, concertId, jwts[k]!, queueTokens[k]!);
      if (status !== 409) throw new Error(`a loser's hold: ${status}`);
    };
    return { warm: () => load(5000, lose), run: () => load(count, lose) };
  }
  throw new Error(`--op must be enter, status or hold-loser (got ${args.op})`);
}

async function main() {
  const count = Number(args.users);
  const stack = await startStack({ stage: 'local', backend: 'embedded', httpPort: await freePort(), env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' } });
  const ctx = loadContext(stack);
  try {
    const concertId = `profile-${args.op}`;
    await ctx.app.catalog.createConcert({ concertId, name: concertId, dates: [{ date: '2027-12-01', totalSeats: 10, price: 1000, priceTiers: [] }] });
    await ctx.app.waitingRoom.configure(concertId, { maxActive: 0 });
    const op = await prepare(ctx, concertId, count);
    await op.warm();

    if (args.heap) {
      const session = new Session();
      session.connect();
      await heapProfile(session, count, op.run);
      session.disconnect();
      return;
    }
    const { result: run, profile } = await profiled(op.run);
    console.log(`profiled: ${count.toLocaleString('en')} ${args.op} requests in ${run.seconds.toFixed(2)} s, ${run.cpuMicrosPerOp.toFixed(1)} µs CPU each (profiler on)`);
    const t = selfTime(profile, count);
    const us = (x: number) => `${x.toFixed(1)} µs`;
    console.log(`\nself time by package (busy ${us(t.busyMicrosPerOp)} per request):`);
    for (const g of t.packages.slice(0, 20)) console.log(`  ${us(g.microsPerOp).padStart(9)}  ${(100 * g.share).toFixed(1).padStart(5)} %  ${g.name}`);
    console.log('\ntop functions by self time:');
    for (const f of t.functions.slice(0, 25)) console.log(`  ${us(f.microsPerOp).padStart(9)}  ${f.name}`);
    const dir = join(__dirname, '..', '..', 'bench-results', 'profiles');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${args.op}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`\nprofile: ${file}`);
  } finally {
    await ctx.app.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
