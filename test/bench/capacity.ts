/**
 * `npm run capacity -- --users 1000000 --arrival 60s [options]`: the capacity model
 * (docs/capacity.md). Turns a crowd and a sale's settings into requests per second by
 * endpoint, Redis commands per second on the concert's shard, Lambda concurrency and
 * duration, DynamoDB request units, SQS messages, a cost at published AWS prices, and the
 * quota that binds first, using the per-request costs a benchmark run measured
 * (bench-results/latest/results.json unless --results says otherwise).
 *
 * Crowd:     --users N  --arrival 60s  --arrival-shape uniform|front
 *            --pre-queue-share 0.4  --pre-queue 30m (the pre-queued arrive over 90% of it)
 *            --session 3m (admission to payment for a buyer; think time = a quarter of it)
 *            --give-up 0.03 (share of waiters who stop polling within a minute)
 * Sale:      --max-active N  --admissions N (per second)  --active-session 10m  --abandon 3m
 *            --expected-session 3m (the ETA's prior)  --seats N (in all)  --dates N  --hold 5m
 * Model:     --horizon 2h (stop modelling this long after the opening)  --bins 20000
 * Output:    --every 60 (timeline row every N s)  --json FILE  --results FILE
 *            --sweep 50000,200000,1000000 (only a table of peaks and the limits passed, per crowd size)
 * Defaults: the service's own (lib/config.ts) for the sale, and the bench's simulated crowd
 * (test/bench/crowd.ts SIM_BEHAVIOUR) for behaviour shares.
 */
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config';
import { loadMeasuredCosts, PRICES, readDeploySettings } from './capacity/costs';
import { ENDPOINTS, predictOpening, type Crowd, type Endpoint, type SaleSettings } from './capacity/model';
import { capacityReport, fmt, lambdaMs } from './capacity/resources';
import { SIM_BEHAVIOUR, SIM_PRE_QUEUE_SHARE } from './crowd';

const projectDir = resolve(__dirname, '..', '..');

const { values: a } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    arrival: { type: 'string', default: '60s' },
    'arrival-shape': { type: 'string', default: 'uniform' },
    'pre-queue-share': { type: 'string', default: String(SIM_PRE_QUEUE_SHARE) },
    'pre-queue': { type: 'string' },
    session: { type: 'string', default: '3m' },
    'give-up': { type: 'string', default: String(SIM_BEHAVIOUR.giveUpShare) },
    'max-active': { type: 'string' },
    admissions: { type: 'string' },
    'active-session': { type: 'string' },
    abandon: { type: 'string' },
    'expected-session': { type: 'string' },
    seats: { type: 'string', default: '50000' },
    dates: { type: 'string', default: '10' },
    hold: { type: 'string' },
    horizon: { type: 'string', default: '2h' },
    bins: { type: 'string', default: '20000' },
    every: { type: 'string', default: '60' },
    json: { type: 'string' },
    results: { type: 'string' },
    sweep: { type: 'string' },
  },
});

/** "90", "90s", "5m", "2h" -> seconds. */
export function seconds(v: string): number {
  const m = /^([\d.]+)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : m[2] === 'h' ? n * 3600 : n;
}

// The service's defaults, for settings the command line does not give (no secret needed
// to read them; the placeholder only satisfies a local stage's validation).
const config = loadConfig({ STAGE: 'local', JWT_SECRET: 'placeholder-to-read-defaults' });
const sale: SaleSettings = {
  maxActive: Number(a['max-active'] ?? config.QUEUE_MAX_ACTIVE),
  admissionsPerSecond: Number(a.admissions ?? config.QUEUE_ADMIT_PER_SECOND),
  activeSessionSeconds: a['active-session'] ? seconds(a['active-session']) : config.QUEUE_ACTIVE_SECONDS,
  abandonAfterSeconds: a.abandon ? seconds(a.abandon) : config.QUEUE_ABANDON_SECONDS,
  expectedSessionSeconds: a['expected-session'] ? seconds(a['expected-session']) : config.QUEUE_EXPECTED_SESSION_SECONDS,
  holdSeconds: a.hold ? seconds(a.hold) : config.HOLD_SECONDS,
  totalSeats: Number(a.seats),
  dates: Number(a.dates),
  seatListingCacheMs: config.SEAT_LISTING_CACHE_MS,
};
const session = seconds(a.session!);
const crowd: Crowd = {
  users: Number(a.users),
  arrivalSeconds: seconds(a.arrival!),
  arrivalShape: a['arrival-shape'] === 'front' ? 'front' : 'uniform',
  preQueueShare: Number(a['pre-queue-share']),
  preQueueSeconds: a['pre-queue'] ? seconds(a['pre-queue']) : config.PRE_QUEUE_MINUTES * 60,
  behaviour: {
    // A buyer's path has four think steps (dates, seats, after the hold, before paying).
    thinkSeconds: session / 4,
    requestSeconds: 0.05,
    giveUpShare: Number(a['give-up']),
    giveUpWithinSeconds: SIM_BEHAVIOUR.giveUpWithinMs / 1000,
    leaveShare: SIM_BEHAVIOUR.leaveShare,
    holdAttempts: SIM_BEHAVIOUR.holdAttempts,
    releaseShare: SIM_BEHAVIOUR.releaseShare,
    walkAwayShare: SIM_BEHAVIOUR.walkAwayShare,
    topUpShare: 1,
  },
};

const resultsPath = a.results ? (isAbsolute(a.results) ? a.results : join(process.cwd(), a.results)) : join(projectDir, 'bench-results', 'latest', 'results.json');
const costs = loadMeasuredCosts(resultsPath, relative(projectDir, resultsPath));
const deploy = readDeploySettings(projectDir);
if (a.sweep) {
  // The same crowd at several sizes: peaks and which limits they pass (no extrapolation).
  console.log(`Crowd sizes with: ${fmt(crowd.preQueueShare * 100)}% pre-queued over ${fmt(crowd.preQueueSeconds / 60, 1)} min, the rest over ${fmt(crowd.arrivalSeconds)} s; max active ${fmt(sale.maxActive)}, ${fmt(sale.admissionsPerSecond)} admissions/s, ${fmt(sale.totalSeats)} seats; costs: ${costs.sources[0]}`);
  console.log('');
  console.log('| users | peak waiting | peak API req/s (1 s / 10 s) | peak polls/s | concert shard commands/s (% of one shard) | Lambda concurrency | limits passed |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const users of a.sweep.split(',').map(Number)) {
    const pr = predictOpening({ ...crowd, users }, sale, { maxSeconds: seconds(a.horizon!), maxBins: Number(a.bins) });
    const rep = capacityReport(pr, costs, deploy);
    const passed = rep.quotas.filter((q) => q.share > 1).map((q) => `${q.name.split(' (')[0]} (${fmt(q.share * 100)}%)`);
    console.log(`| ${fmt(users)} | ${fmt(pr.peaks.waiting)} | ${fmt(rep.peaks.apiRequests)} / ${fmt(rep.peaks.apiRequests10s)} | ${fmt(rep.peaks.polls)} | ${fmt(rep.peaks.queueShardCommands)} (${fmt(rep.redisShard.peakUtilisationPercent)}%) | ${fmt(rep.peaks.lambdaConcurrency)} | ${passed.join('; ') || 'none'} |`);
  }
  process.exit(0);
}

const t0 = performance.now();
const pred = predictOpening(crowd, sale, { maxSeconds: seconds(a.horizon!), maxBins: Number(a.bins) });
const report = capacityReport(pred, costs, deploy);
const modelMs = performance.now() - t0;

const out: string[] = [];
const p = (s = '') => out.push(s);
p(`Capacity model: ${fmt(crowd.users)} users, ${fmt(crowd.preQueueShare * 100)}% pre-queued over ${fmt(crowd.preQueueSeconds / 60, 1)} min, the rest arriving over ${fmt(crowd.arrivalSeconds)} s (${crowd.arrivalShape})`);
p(`Sale: max active ${fmt(sale.maxActive)}, ${fmt(sale.admissionsPerSecond)} admissions/s, session ${fmt(sale.activeSessionSeconds)} s, abandon ${fmt(sale.abandonAfterSeconds)} s, ${fmt(sale.totalSeats)} seats, hold ${fmt(sale.holdSeconds)} s; a buyer takes ${fmt(session)} s`);
p(`Costs: ${costs.sources.join('; ')}. Deployment: ${deploy.source}: ${deploy.redisShards} shards x ${1 + deploy.redisReplicasPerShard} ${deploy.redisNodeType} (${deploy.redisEngine}), ${deploy.memoryMb} MB functions.`);
p(`Modelled ${fmt(pred.totals.endSeconds)} s after the opening in ${fmt(modelMs)} ms (${fmt(pred.bins)} slices, step ${pred.stepSeconds} s).`);
p();
const t = pred.totals;
p(`Outcome: ${fmt(t.admissions)} admitted, ${fmt(t.paid)} seats paid, sold out ${t.soldOutAtSeconds === null ? 'not within the horizon' : `at ${fmt(t.soldOutAtSeconds)} s`}, ${fmt(t.toldSoldOut)} told SOLD_OUT while waiting, ${fmt(t.refusedAtEntry)} refused at entry, peak waiting ${fmt(pred.peaks.waiting)}, still waiting at the end ${fmt(pred.timeline[pred.timeline.length - 1]!.waiting)}.`);
p();
p('| endpoint | requests | peak req/s | Lambda ms (est.) | Redis round trips | DynamoDB RRU / WRU | SQS msgs |');
p('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const ep of Object.keys(ENDPOINTS) as Endpoint[]) {
  const c = costs.byEndpoint[ep];
  p(`| ${ENDPOINTS[ep]} | ${fmt(t.requests[ep])} | ${fmt(pred.peaks.byEndpoint[ep])} | ${fmt(lambdaMs(ep, costs, deploy.memoryMb).estimatedMs, 2)} | ${fmt(c.redisRoundTrips, 2)} | ${fmt(c.readUnits, 2)} / ${fmt(c.writeUnits, 2)} | ${fmt(c.sqsMessages, 2)} |`);
}
p();
const pk = report.peaks;
p(`Peaks (1 s): API ${fmt(pk.apiRequests)} req/s (10 s average ${fmt(pk.apiRequests10s)}), polls ${fmt(pk.polls)}/s, concert's Redis shard ${fmt(pk.queueShardCommands)} commands/s (${fmt(report.redisShard.peakUtilisationPercent, 1)}% of its main thread), Redis round trips ${fmt(pk.redisRoundTrips)}/s, Lambda concurrency ${fmt(pk.lambdaConcurrency, 1)}, DynamoDB ${fmt(pk.readUnits)} RRU/s and ${fmt(pk.writeUnits)} WRU/s, SQS ${fmt(pk.sqsRequests)} requests/s.`);
p(`One Redis shard: ${fmt(report.redisShard.microsPerScript, 1)} µs of main thread per command -> ${fmt(report.redisShard.commandsPerSecondAtCeiling)} commands/s at ${report.redisShard.ceilingPercent}% CPU; ${fmt(report.redisShard.memoryMiBAtPeakWaiting)} MiB for the peak queue.`);
p();
p('Quotas and ceilings, the tightest first (crowd at the limit: scaled linearly from this one):');
p('| limit | value | peak here | share | crowd at the limit | note |');
p('| --- | ---: | ---: | ---: | ---: | --- |');
for (const q of report.quotas) p(`| ${q.name} | ${fmt(q.limit)} | ${fmt(q.peak)} | ${fmt(q.share * 100)}% | ${fmt(q.usersAtLimit)} | ${q.note} |`);
p();
p(`Cost at ${PRICES.region} list prices (checked ${PRICES.checked}), for the ${fmt(report.cost.hours, 2)} h modelled:`);
p('| item | USD | basis |');
p('| --- | ---: | --- |');
for (const l of report.cost.lines) p(`| ${l.item} | ${fmt(l.usd, 2)} | ${l.basis} |`);
p(`| **total** | **${fmt(report.cost.eventUsd, 2)}** | plus ${fmt(report.cost.perMonthFixedUsd)} USD a month for the Redis nodes and VPC endpoints that run all the time |`);
p();
const every = Number(a.every);
p(`Timeline (every ${every} s; requests/s averaged over the interval):`);
p('| t (s) | waiting | active | seats free | sold | API req/s | polls/s | shard cmds/s | Lambda conc. |');
p('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (let i = 0; i < report.perSecond.length; i += every) {
  const w = report.perSecond.slice(i, i + every);
  const row = pred.timeline[Math.min(pred.timeline.length - 1, i + w.length - 1)]!;
  const avg = (f: (x: (typeof w)[number]) => number) => w.reduce((s, x) => s + f(x), 0) / w.length;
  p(`| ${w[0]!.t} | ${fmt(row.waiting)} | ${fmt(row.active)} | ${fmt(row.seatsFree)} | ${fmt(row.sold)} | ${fmt(avg((x) => x.apiRequests))} | ${fmt(avg((x) => x.polls))} | ${fmt(avg((x) => x.queueShardCommands))} | ${fmt(avg((x) => x.lambdaConcurrency), 1)} |`);
}
console.log(out.join('\n'));
if (a.json) {
  writeFileSync(a.json, JSON.stringify({ crowd, sale, costs, deploy, totals: pred.totals, peaks: pred.peaks, report: { ...report, perSecond: undefined }, timeline: pred.timeline }, null, 2));
  console.log(`\nwritten: ${a.json}`);
}
