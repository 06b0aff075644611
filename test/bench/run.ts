/**
 * `npm run bench [-- options]`: the benchmark suite and the ticket-open simulation.
 * Starts its own embedded stack (free ports), runs the phases, and writes JSON, a
 * Markdown report and SVG charts to bench-results/latest/ (and a dated copy under
 * bench-results/history/, not committed).
 *
 *   --only queue,scale,contention,http,sim,catalog   phases to run (default: all)
 *   --users N          simulated crowd (default 5000)
 *   --scale-max N      largest queue for the scale phase (default 1000000)
 *   --seconds N        duration of each timed load (default 5)
 *   --quick            small sizes, for a fast look (not for the README)
 *   --in-process       the simulation calls the handlers in-process (no HTTP, no serverless-offline
 *                      in between; the admission loop still runs on serverless-offline's schedule),
 *                      and its report puts the capacity model's prediction (test/bench/capacity/)
 *                      next to what was measured, in bench-results/capacity-check/ (the model's costs
 *                      come from bench-results/latest/). Default crowd arrival: users / 1,500 s (>= 10 s)
 *   --arrival N        seconds over which the crowd arrives after the opening (default 10)
 *   --pre-queue-share X  share of the crowd that joins the pre-queue before the opening (default 0.4)
 *   --chaos            only the chaos phase (chaos.ts) on a stack of its own, report in bench-results/chaos/
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, killAllNow } from '../../infra/local/processes';
import { projectDir, startStack } from '../../infra/local/stack';
import { loadContext } from './context';
import { seatContention } from './phases/contention';
import { catalogCost } from './phases/catalog';
import { httpStatusVsNoop } from './phases/http';
import { queueCost, queueScale } from './phases/queue';
import { defaultSimOptions, ticketOpening } from './phases/simulation';
import { machine, writeResults } from './report';
import { chaosRun, defaultChaosOptions } from './chaos';
import { compareWithModel } from './capacity/compare';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'queue,scale,contention,http,sim,catalog' },
    users: { type: 'string' },
    'scale-max': { type: 'string' },
    seconds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    chaos: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    arrival: { type: 'string' },
    'pre-queue-share': { type: 'string' },
  },
});

/** `--chaos`: the chaos phase alone, on a stack of its own; report in bench-results/chaos/. */
async function chaosOnly() {
  const results: Record<string, unknown> = { machine: machine(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim() };
  results.chaos = await chaosRun(defaultChaosOptions(args.quick!));
  const model = join(projectDir, 'bench-results', 'model', 'latest.json');
  if (existsSync(model)) results.model = JSON.parse(readFileSync(model, 'utf8'));
  const dir = join(projectDir, 'bench-results', 'chaos');
  rmSync(dir, { recursive: true, force: true });
  await writeResults(dir, results);
  console.log(`\nbench: chaos report written to ${join('bench-results', 'chaos', 'report.md')}`);
  // The invariants are the run's verdict (CI runs the short form): figures like 5xx and
  // recovery times are reported, never judged.
  const inv = (results.chaos as Awaited<ReturnType<typeof chaosRun>>).invariants;
  const broken = [
    inv.oversells > 0 && `${inv.oversells} oversells`,
    inv.auditProblems.length > 0 && `audit: ${inv.auditProblems.slice(0, 5).join('; ')}`,
    !inv.money.conserved && 'money not conserved',
    inv.largestLiveActiveSet > inv.maxActive && `active set ${inv.largestLiveActiveSet} above ${inv.maxActive}`,
    !inv.everyUnpaidHoldReleasedWithinBound && `${inv.unpaidHoldsNeverReleased} unpaid holds never released, latest ${inv.releaseSecondsAfterExpiry.max} s after expiry`,
  ].filter(Boolean);
  if (broken.length > 0) {
    console.error(`bench: chaos invariants broken: ${broken.join(' | ')}`);
    process.exitCode = 1;
  } else console.log('bench: chaos invariants held: 0 oversells, money conserved, active set within its maximum, every unpaid hold released in time');
}

/** The simulation's settings: the defaults, or for `--in-process` a crowd spread so this machine keeps up. */
function simOptions(users: number) {
  const inProcess = args['in-process']!;
  const d = defaultSimOptions(users);
  const o = { ...d, preQueueShare: Number(args['pre-queue-share'] ?? d.preQueueShare) };
  return {
    ...o,
    transport: inProcess ? ('in-process' as const) : o.transport,
    arrivalSeconds: Number(args.arrival ?? (inProcess ? Math.max(o.arrivalSeconds, Math.round(users / 1500)) : o.arrivalSeconds)),
    // The pre-queue's share arrives over at least 1 s per 1,000 users (entries cost the most CPU).
    preQueueSeconds: inProcess ? Math.max(o.preQueueSeconds, Math.round((users * o.preQueueShare) / 1000)) : o.preQueueSeconds,
  };
}

async function main() {
  if (args.chaos) return chaosOnly();
  const only = new Set(args.only!.split(','));
  const quick = args.quick!;
  const seconds = Number(args.seconds ?? (quick ? 2 : 5));
  const users = Number(args.users ?? (quick ? 500 : 5000));
  const scaleMax = Number(args['scale-max'] ?? (quick ? 100_000 : 1_000_000));
  const scaleSizes = [1_000, 100_000, 1_000_000].filter((n) => n <= scaleMax);

  // The capacity model is checked with the costs of the run before this one (it must not
  // be given what this run measures).
  const latestJson = join(projectDir, 'bench-results', 'latest', 'results.json');
  const before = existsSync(latestJson) ? JSON.parse(readFileSync(latestJson, 'utf8')) : {};
  const beforeLabel = existsSync(latestJson) ? `bench-results/latest/results.json before this run (${before.machine?.at ?? '?'}, \`${before.command ?? '?'}\`)` : 'no earlier results: fallbacks';

  console.log('bench: starting the embedded stack...');
  const stack = await startStack({
    stage: 'local',
    backend: 'embedded',
    httpPort: await freePort(),
    // Quiet functions; the admission loop keeps running as in production.
    env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  const ctx = loadContext(stack);
  const results: Record<string, unknown> = {
    machine: machine(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    notes: [] as string[],
  };
  const notes = results.notes as string[];
  try {
    if (only.has('queue')) results.queueCost = await queueCost(ctx, { users: quick ? 2000 : 10_000, durationMs: seconds * 1000 });
    if (only.has('scale')) results.queueScale = await queueScale(ctx, { sizes: scaleSizes, durationMs: seconds * 1000 });
    if (only.has('contention')) results.contention = await seatContention(ctx, { crowd: quick ? 300 : 1000 });
    if (only.has('http')) results.http = await httpStatusVsNoop(ctx, { users: 4000, durationS: Math.max(3, seconds * 2) });
    if (only.has('sim')) results.simulation = await ticketOpening(ctx, simOptions(users));
    if (only.has('catalog')) results.catalog = await catalogCost(ctx);
    if (only.has('sim') && args['in-process']) results.capacityCheck = compareWithModel(results.simulation, before, beforeLabel);
  } finally {
    await ctx.app.close();
    await stack.stop();
  }

  notes.push(
    'One 2-core machine runs everything: the load generator, serverless-offline (one Node process for all functions), redis-server, DynamoDB Local (Java) and the SQS emulator compete for the same cores, so absolute figures are far below what Lambda + ElastiCache + DynamoDB deliver; the ratios to same-run baselines are the comparable part.',
    'In-process handler figures (phases 1-3) include JWT verification, zod validation, middy, Powertools logging and the client work; they exclude API Gateway and serverless-offline.',
    'DynamoDB Local runs transactions one at a time (on AWS they run in parallel across items), which bounds the contention and simulation phases.',
  );
  // An in-process run is the capacity model's check, kept apart from the full run's
  // figures (which it reads as the model's costs) in bench-results/capacity-check/.
  const out = args['in-process'] ? 'capacity-check' : 'latest';
  const dir = join(projectDir, 'bench-results', out);
  rmSync(dir, { recursive: true, force: true });
  await writeResults(dir, results);
  const history = join(projectDir, 'bench-results', 'history', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(history, { recursive: true });
  cpSync(dir, history, { recursive: true });
  console.log(`\nbench: report written to ${join('bench-results', out, 'report.md')} (copy in ${history})`);
}

process.on('exit', killAllNow);
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
