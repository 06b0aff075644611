/**
 * Writes a benchmark run: results.json (everything), report.md (the figures a person
 * reads) and SVG charts (vega-lite rendered headless), into one results folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { round } from './stats';

export function machine() {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? '').split('\n')[0] || 'unknown';
    }
  };
  return {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis: version('redis-server', ['--version']),
    java: version('java', ['-version']),
    at: new Date().toISOString(),
  };
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

export async function charts(results: any): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (results.chaos) {
    const c = results.chaos;
    const values = c.series.flatMap((p: any) => [
      { second: p.second, kind: '2xx/3xx', n: p.ok },
      { second: p.second, kind: '5xx', n: p.server5xx },
      { second: p.second, kind: 'connection refused', n: p.refused },
    ]);
    const marks = c.faults.map((f: any) => ({ second: f.atSecond, fault: f.fault }));
    out['chaos-answers.svg'] = await svg({
      width: 720,
      height: 260,
      title: 'Answers per second during the chaos run (rules: a fault starts)',
      layer: [
        { data: { values }, mark: 'line', encoding: { x: { field: 'second', type: 'quantitative', title: 's since the crowd started' }, y: { field: 'n', type: 'quantitative', title: 'answers' }, color: { field: 'kind', type: 'nominal' } } },
        { data: { values: marks }, mark: { type: 'rule', strokeDash: [4, 3], color: 'gray' }, encoding: { x: { field: 'second', type: 'quantitative' }, tooltip: { field: 'fault' } } },
      ],
    } as TopLevelSpec);
  }
  if (results.capacityCheck) {
    out['capacity-model-polls.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Status polls per second: capacity model vs measured (in-process opening)',
      width: 640,
      height: 240,
      data: { values: results.capacityCheck.pollsPerSecond },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since the opening' },
        y: { field: 'polls', type: 'quantitative', title: 'polls in that second' },
        color: { field: 'source', type: 'nominal', title: null },
      },
    });
  }
  const sim = results.simulation;
  if (sim) {
    const queue = sim.series.queue.flatMap((p: any) => [
      { t: p.t, series: 'waiting', users: p.waiting },
      { t: p.t, series: 'active (live)', users: p.active },
    ]);
    out['queue-over-time.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Ticket opening: waiting and active users (max active ${sim.maxActive})`,
      width: 640,
      height: 260,
      data: { values: queue },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since the opening' },
        y: { field: 'users', type: 'quantitative', title: 'users' },
        color: { field: 'series', type: 'nominal', title: null },
      },
    });
    out['admissions-per-second.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Admissions per second',
      width: 640,
      height: 200,
      data: { values: sim.series.admissionsPerSecond },
      mark: 'bar',
      encoding: {
        x: { field: 'second', type: 'quantitative', title: 'seconds since the opening' },
        y: { field: 'admitted', type: 'quantitative', title: 'admitted' },
      },
    });
    out['eta-vs-wait.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'ETA told at entry vs actual wait (s); the line is a perfect estimate',
      width: 360,
      height: 360,
      data: { values: sim.series.etaVsWait },
      layer: [
        { mark: { type: 'point', opacity: 0.3, size: 10 }, encoding: { x: { field: 'eta', type: 'quantitative', title: 'ETA told (s)' }, y: { field: 'wait', type: 'quantitative', title: 'actual wait (s)' } } },
        { mark: { type: 'rule', color: 'gray' }, encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: Math.max(1, ...sim.series.etaVsWait.map((p: any) => p.wait)) }, y2: { datum: Math.max(1, ...sim.series.etaVsWait.map((p: any) => p.wait)) } } },
      ],
    });
    const calib = sim.etaRelativeErrorPerPoll?.samples as { t: number; eta: number; remaining: number }[] | undefined;
    if (calib?.length) {
      const top = Math.max(1, ...calib.map((p) => Math.max(p.eta, p.remaining)));
      out['eta-per-poll.svg'] = await svg({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Calibration: ETA told at a poll vs the wait that remained (s; every 20th poll, colour = seconds since the opening)',
        width: 360,
        height: 360,
        data: { values: calib },
        layer: [
          {
            mark: { type: 'point', opacity: 0.6, size: 14 },
            encoding: {
              x: { field: 'eta', type: 'quantitative', title: 'ETA told (s)' },
              y: { field: 'remaining', type: 'quantitative', title: 'wait that remained (s)' },
              color: { field: 't', type: 'quantitative', title: 's since opening' },
            },
          },
          { mark: { type: 'rule', color: 'gray' }, encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: top }, y2: { datum: top } } },
        ],
      });
    }
    const lat = Object.entries(sim.latencyMsByEndpoint as Record<string, any>).flatMap(([endpoint, s]) => [
      { endpoint, percentile: 'p50', ms: s.p50 },
      { endpoint, percentile: 'p99', ms: s.p99 },
    ]);
    out['latency-by-endpoint.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: `Ticket opening: latency by endpoint (ms, ${sim.options.transport === 'in-process' ? 'in-process' : 'over HTTP'})`,
      width: 420,
      data: { values: lat },
      mark: 'bar',
      encoding: {
        y: { field: 'endpoint', type: 'nominal', title: null },
        yOffset: { field: 'percentile' },
        x: { field: 'ms', type: 'quantitative', title: 'ms' },
        color: { field: 'percentile', type: 'nominal' },
      },
    });
  }
  if (results.queueScale) {
    out['status-cost-by-queue-length.svg'] = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Status poll cost by queue length (handler in-process, 50 callers)',
      width: 420,
      height: 220,
      data: { values: results.queueScale.rows.flatMap((r: any) => [
        { waiting: r.waiting.toLocaleString('en'), percentile: 'p50', ms: r.statusLatencyMs.p50 },
        { waiting: r.waiting.toLocaleString('en'), percentile: 'p99', ms: r.statusLatencyMs.p99 },
      ]) },
      mark: 'bar',
      encoding: {
        x: { field: 'waiting', type: 'ordinal', sort: null, title: 'users waiting' },
        xOffset: { field: 'percentile' },
        y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
        color: { field: 'percentile', type: 'nominal' },
      },
    });
  }
  return out;
}

const fmt = (n: number | undefined | null, d = 0) => (n === undefined || n === null || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en', { maximumFractionDigits: d }));
const lat = (s: any) => `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)} / ${fmt(s.p999, 2)}`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

export function markdown(r: any): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`# Benchmark report`, '', `Run ${m.at} on ${m.cpus}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ${m.redis}; ${m.java}.`);
  lines.push(`Command: \`${r.command}\`. Figures, not test thresholds; ratios compare against baselines measured in the same run.`, '');
  if (r.queueCost) {
    const q = r.queueCost;
    lines.push(`## 1. Queue cost (in-process handlers through the middy stack, JWT included; ${q.concurrency} concurrent callers)`, '');
    lines.push('| operation | ops/s | p50 / p99 / p999 ms | Redis round trips per request | CPU µs per request |', '| --- | ---: | ---: | ---: | ---: |');
    lines.push(`| enter (handler) | ${fmt(q.enter.opsPerSecond)} | ${lat(q.enter.latencyMs)} | ${q.enter.redisRoundTripsPerRequest} | ${fmt(q.enter.cpuMicrosPerOp)} |`);
    lines.push(`| status (handler) | ${fmt(q.status.opsPerSecond)} | ${lat(q.status.latencyMs)} | ${q.status.redisRoundTripsPerRequest} | ${fmt(q.status.cpuMicrosPerOp)} |`);
    lines.push(`| status script, bare ioredis (ceiling) | ${fmt(q.rawStatus.opsPerSecond)} | ${lat(q.rawStatus.latencyMs)} | 1 | ${fmt(q.rawStatus.cpuMicrosPerOp)} |`, '');
    lines.push(`Handler / raw = **${q.handlerToRawRatio}**, the median of ${q.handlerToRawRatioPerRound.length} ${q.statusSlicesPerRound ? `rounds in which the handler and the bare call take turns ${q.statusSlicesPerRound} times` : 'alternating rounds'} (${q.handlerToRawRatioPerRound.join(', ')}; the table shows the median round) (goal >= 0.7: ${verdict(q.handlerToRawRatio >= 0.7)}); round trips per poll = ${q.status.redisRoundTripsPerRequest} (goal 1: ${verdict(q.status.redisRoundTripsPerRequest <= 1.01)}); enter ${fmt(q.enter.cpuMicrosPerOp)} µs CPU in a warm process, after ${fmt(q.enterWarmUp ?? 0)} entries not counted, the median of ${(q.enterCpuMicrosPerRound ?? []).length} rounds (${(q.enterCpuMicrosPerRound ?? []).join(', ')} µs; the table shows the median round) (goal <= 120: ${verdict(q.enter.cpuMicrosPerOp <= 120)}; where it goes: below, and by function with \`npm run bench:profile-enter\`).`, '');
    if (q.cpuProfile) {
      const p = q.cpuProfile;
      const row = (label: string, t: any) => `| ${label} | ${t.busyMicrosPerOp} | ${t.packages.map((g: any) => `${g.name} ${g.microsPerOp}`).join(', ')} |`;
      lines.push(
        `Where the CPU goes: ${fmt(p.requests)} more of each under V8's sampling profiler, after the timed rounds (self time per request, µs; the profiler adds its own cost, so read the shares):`,
        '',
        '| request | busy µs | largest by package (µs per request) |',
        '| --- | ---: | --- |',
        row('enter (a new user)', p.enter),
        row('status poll', p.status),
        '',
        '(native/GC): V8 builtins and native code (socket writes, string encoding, crypto) with no script of their own; test/support/lambda.ts: the bench building the API Gateway event and reading the reply (API Gateway does it on AWS).',
        '',
      );
    }
  }
  if (r.queueScale) {
    const s = r.queueScale;
    lines.push('## 2. Queue scale (status poll, handler in-process, 50 callers)', '');
    lines.push('| users waiting | status ops/s | p50 / p99 / p999 ms | CPU µs per poll | Redis bytes per waiting user | fill rate (enters/s, bare script) |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of s.rows) {
      lines.push(`| ${fmt(row.waiting)} | ${fmt(row.statusOpsPerSecond)} | ${lat(row.statusLatencyMs)} | ${fmt(row.statusCpuMicrosPerOp)} | ${fmt(row.redisBytesPerWaitingUser)} | ${fmt(row.fillOpsPerSecond)} |`);
    }
    const c = s.costRatioLargestToSmallest;
    lines.push('', `Cost at the largest over the smallest queue: ${c.byMeanLatency}x by mean latency, ${c.byThroughput}x by throughput, ${c.byCpuPerOp}x by CPU per poll (goal <= 1.5: ${verdict(Math.max(c.byMeanLatency, c.byThroughput) <= 1.5)}).`, '');
  }
  if (r.contention) {
    lines.push('## 3. Seat contention (hold handler in-process, DynamoDB Local)', '');
    lines.push('| race | users | seats asked for | winners | losers answered | 5xx | timeouts | loser p50 / p99 ms | DynamoDB ops/s | cancelled items by reason | audit |', '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |');
    for (const [name, c] of Object.entries(r.contention as Record<string, any>)) {
      lines.push(
        `| ${name} | ${c.users} | ${c.seatsAskedFor} | ${c.winners} | ${Object.entries(c.losersAnswered).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${c.serverErrors} | ${c.timeoutsOrTransportErrors} | ${fmt(c.loserLatencyMs.p50, 1)} / ${fmt(c.loserLatencyMs.p99, 1)} | ${fmt(c.dynamoOpsPerSecond)} | ${Object.entries(c.transactionItemsCancelledByReason).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} | ${c.auditProblems.length === 0 ? 'clean' : `**${c.auditProblems.length} problems**`} |`,
      );
    }
    const one = r.contention.oneSeat;
    const first = r.contention.firstRaceAfterStart;
    const perSeat = Math.max(...Object.values(r.contention as Record<string, any>).map((c) => c.transactionsPerSeatSold));
    lines.push(
      '',
      `Winners must equal the seats asked for; every loser must be a 409. 300 users on one seat: loser p99 **${fmt(one.loserLatencyMs.p99, 1)} ms** (goal <= 100: ${verdict(one.loserLatencyMs.p99 <= 100)})${first ? `; the same race as the process's first use of the hold path (firstRaceAfterStart, not judged: V8 has not compiled it yet) ${fmt(first.loserLatencyMs.p99, 1)} ms` : ''}; DynamoDB transactions per seat sold at most ${perSeat} in any race (goal <= 3: ${verdict(perSeat <= 3)}); 5xx ${Object.values(r.contention as Record<string, any>).reduce((n, c) => n + c.serverErrors, 0)} (goal 0). DynamoDB ops/s counts the race's own operations, not the audit after it.`,
      '',
    );
  }
  if (r.http) {
    const h = r.http;
    lines.push(`## 4. Over HTTP through serverless-offline (in-process mode, autocannon, ${h.connections} connections)`, '');
    lines.push('| endpoint | req/s | p50 / p99 ms | non-2xx | errors |', '| --- | ---: | ---: | ---: | ---: |');
    lines.push(`| GET /v1/health (no-op baseline) | ${fmt(h.noop.requestsPerSecond)} | ${h.noop.latencyMs.p50} / ${h.noop.latencyMs.p99} | ${h.noop.non2xx} | ${h.noop.errors} |`);
    lines.push(`| GET /v1/queue/status | ${fmt(h.status.requestsPerSecond)} | ${h.status.latencyMs.p50} / ${h.status.latencyMs.p99} | ${h.status.non2xx} | ${h.status.errors} |`, '');
    lines.push(`Status / no-op = **${h.statusToNoopRatio}** (goal >= 0.6: ${verdict(h.statusToNoopRatio >= 0.6)}).`, '');
  }
  if (r.simulation) {
    const s = r.simulation;
    const o = s.options;
    const how = o.transport === 'in-process' ? 'in-process (handlers called through their middy stacks, no HTTP)' : 'over HTTP';
    lines.push(`## 5. Ticket opening simulation ${how} (${fmt(o.users)} users arriving within ${o.arrivalSeconds} s)`, '');
    lines.push(`Settings: ${o.preQueueShare !== undefined ? `${Math.round(o.preQueueShare * 100)}% of the crowd pre-queued in the ${o.preQueueSeconds} s before the opening, ` : ''}max active ${o.maxActive}, ${o.admissionsPerSecond} admissions/s, session ${o.activeSessionSeconds} s, hold ${o.holdSeconds} s, abandonment ${o.abandonAfterSeconds} s, ${o.dates} dates x ${o.seatsPerDate} seats. Run took ${s.seconds} s.`, '');
    lines.push('| check | result |', '| --- | --- |');
    lines.push(`| oversells | ${s.oversells} ${verdict(s.oversells === 0)} |`);
    lines.push(`| money conserved (charged = balances + payments) | ${s.money.conserved ? 'yes' : '**no**'} (charged ${fmt(s.money.chargedByClients)}, balances ${fmt(s.money.balancesNow)}, paid ${fmt(s.money.paidForSeats)}) |`);
    lines.push(`| audit of seats, reservations, payments, ledgers | ${s.auditProblems.length === 0 ? 'clean' : `**${s.auditProblems.length} problems**`} |`);
    lines.push(`| FIFO violations (admission order vs entry order) | ${s.fifoViolations} of ${fmt(s.admissions)} admissions |`);
    lines.push(`| largest live active set | ${s.largestLiveActiveSet} (max ${s.maxActive}) ${verdict(s.largestLiveActiveSet <= s.maxActive)} |`);
    lines.push(`| freed slot empty while people wait, p50 / p99 / max ms | ${fmt(s.freedSlotEmptyMs.p50)} / ${fmt(s.freedSlotEmptyMs.p99)} / ${fmt(s.freedSlotEmptyMs.max)} over ${s.freedSlotEmptyMs.count} gaps (goal p99 < 250: ${verdict(!(s.freedSlotEmptyMs.p99 >= 250))}; sampled every 10 ms) |`);
    lines.push(`| wait until admission, p50 / p90 / p99 / max s | ${fmt(s.waitSeconds.p50, 1)} / ${fmt(s.waitSeconds.p90, 1)} / ${fmt(s.waitSeconds.p99, 1)} / ${fmt(s.waitSeconds.max, 1)} |`);
    lines.push(`| ETA told at entry vs actual wait (waits >= 5 s): abs error p50 / p90 s, median signed (actual - told) s, relative error p50 / p90 | ${fmt(s.etaErrorSeconds.p50, 1)} / ${fmt(s.etaErrorSeconds.p90, 1)}, ${s.etaErrorSeconds.medianSigned}, ${s.etaRelativeError.p50} / ${s.etaRelativeError.p90} |`);
    lines.push(`| ETA told halfway through the wait vs the wait that remained: relative error p50 / p90, median signed s | ${s.etaRelativeErrorHalfway.p50} / ${s.etaRelativeErrorHalfway.p90}, ${s.etaRelativeErrorHalfway.medianSignedSeconds} |`);
    const pp = s.etaRelativeErrorPerPoll;
    if (pp) {
      lines.push(`| ETA told at every poll vs the wait that remained (${fmt(pp.polls)} polls with >= 5 s left): relative error p50 / p90; remaining wait inside etaRange | ${pp.p50} (goal <= ${pp.goals.p50}: ${verdict(pp.p50 <= pp.goals.p50)}) / ${pp.p90} (goal <= ${pp.goals.p90}: ${verdict(pp.p90 <= pp.goals.p90)}); ${pp.rangeCoverage === null ? 'no ranges' : `${round(pp.rangeCoverage * 100, 1)} %`} (goal >= ${pp.goals.rangeCoverage * 100} %: ${verdict(pp.rangeCoverage >= pp.goals.rangeCoverage)}); at entry p50 ${s.etaRelativeError.p50} (goal <= ${pp.goals.atEntryP50}: ${verdict(s.etaRelativeError.p50 <= pp.goals.atEntryP50)}) |`);
    }
    if (s.opening) {
      const o = s.opening;
      lines.push(`| pre-queue lottery (${fmt(o.preQueued)} pre-queued) | drawn order a permutation of the pre-queue: ${o.drawnIsPermutationOfPreQueue ? 'yes' : '**no**'}; sha256(seed) = commitment: ${o.seedMatchesCommitment ? 'yes' : '**no**'}; order = HMAC order of the revealed seed: ${o.drawnOrderMatchesSeed ? 'yes' : '**no**'}; every pre-queued user knew their position ${fmt(o.msFromOpeningUntilEveryPreQueuedUserKnowsPosition)} ms after the opening (p50 ${fmt(o.msFromOpeningUntilPositionKnown?.p50)} ms; their polls are spread over 5 s) |`);
    }
    if (s.soldOut) {
      const so = s.soldOut;
      lines.push(`| sold out | ${fmt(so.seatsSold)} seats sold; ${fmt(so.toldSoldOut)} users told SOLD_OUT; waiting answers more than 2 s after the last sale that did not say SOLD_OUT: ${fmt(so.waitingAnswersMoreThan2sAfterLastSale)} ${verdict(so.waitingAnswersMoreThan2sAfterLastSale === 0)}; last waiting user told ${fmt(so.msFromLastSaleUntilEveryWaitingUserTold)} ms after the last sale (at their next poll) |`);
    }
    lines.push(`| seats | ${Object.entries(s.seats).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
    lines.push(`| user outcomes | ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} |`, '');
    lines.push('| endpoint | req/s | p50 / p99 ms | non-2xx |', '| --- | ---: | ---: | --- |');
    for (const [k, v] of Object.entries(s.requestsPerSecondByEndpoint as Record<string, number>)) {
      const l = s.latencyMsByEndpoint[k];
      lines.push(`| ${k} | ${v} | ${fmt(l.p50, 1)} / ${fmt(l.p99, 1)} | ${Object.entries(s.non2xxByEndpoint[k] ?? {}).map(([c, n]) => `${c}: ${n}`).join(', ')} |`);
    }
    lines.push('', '![waiting and active](queue-over-time.svg)', '', '![admissions per second](admissions-per-second.svg)', '', '![ETA vs wait](eta-vs-wait.svg)', '', ...(s.etaRelativeErrorPerPoll?.samples ? ['![ETA at each poll vs remaining wait](eta-per-poll.svg)', ''] : []), '![latency by endpoint](latency-by-endpoint.svg)', '');
  }
  if (r.queueScale) lines.push('![status cost by queue length](status-cost-by-queue-length.svg)', '');
  if (r.capacityCheck) lines.push(...capacitySection(r));
  if (r.catalog) {
    const c = r.catalog;
    const big = c.largestConcert;
    lines.push('## 6. Catalog cost (in-process, DynamoDB Local, capacity as DynamoDB reports it)', '');
    lines.push(
      `Creating the largest allowed concert (${big.dates} dates x ${big.seatsPerDate} seats): **${fmt(big.seconds, 2)} s** (goal: well inside the 10 s default function timeout: ${verdict(big.seconds <= 5)}), ${fmt(big.batchWrites)} BatchWriteItem calls, ${fmt(big.writeUnits)} write units.`,
      '',
    );
    const l = c.listings;
    lines.push(
      `Seat map of one show, ${fmt(l.listingsPerSecond)} listings/s for ${l.seconds} s from one container (1,000 active users refreshing every 3 s), with no cache (every listing sends its own query, as before the cache) and with the product's cache (SEAT_LISTING_CACHE_MS = ${l.cacheMs}):`,
      '',
      '| seats per show | cache | listings | seat queries | read units | read units per listing | read units per query |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of l.rows) {
      for (const [label, x] of [['none', row.noCache], [`${l.cacheMs} ms`, row.productCache]] as [string, any][]) {
        lines.push(`| ${fmt(row.seatsPerShow)} | ${label} | ${fmt(x.listings)} | ${fmt(x.queries)} | ${fmt(x.readUnits, 1)} | ${x.readUnitsPerListing} | ${x.readUnitsPerQuery ?? '-'} |`);
      }
    }
    lines.push('');
  }
  if (r.chaos || r.model) lines.push(...faultsAndChaos(r));
  if (r.notes?.length) lines.push('## What bounds these figures', '', ...r.notes.map((n: string) => `- ${n}`), '');
  return lines.join('\n');
}

/** The in-process opening next to what the capacity model (test/bench/capacity/) predicted for the same crowd. */
function capacitySection(r: any): string[] {
  const c = r.capacityCheck;
  const ip = r.simulation?.inProcess;
  const lines = ['## Capacity model vs measurement (in-process opening)', ''];
  lines.push(
    `The model (\`npm run capacity\`, docs/capacity.md) was given the simulation's crowd and settings and the per-request costs of ${c.costsFrom.join('; ')}, not this run's; it took ${c.model.bins.toLocaleString('en')} slices of the queue and ${round(c.model.stepSeconds, 3)} s steps. Handlers were called in-process through their middy stacks; the admission loop ran on serverless-offline's schedule (${ip ? `${ip.redis.otherProcessScriptsPerSecond} script runs/s from other processes, ${fmt(ip.redis.otherProcessScripts)} in all` : 'n/a'}).`,
    '',
    '| figure | model | measured | model / measured |',
    '| --- | ---: | ---: | ---: |',
    ...c.rows.map((row: any) => `| ${row.figure} | ${fmt(row.model ?? NaN, 1)} | ${fmt(row.measured ?? NaN, 1)} | ${row.ratio ?? 'n/a'} |`),
    '',
  );
  if (ip) {
    lines.push('Measured per request (this run): Redis round trips, script runs and commands on the concert\'s queue shard, DynamoDB operations and consumed capacity, SQS messages.', '');
    lines.push('| endpoint | requests | Redis round trips | scripts | queue-shard commands | DynamoDB operations | RRU | WRU | SQS |', '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
    for (const [ep, x] of Object.entries(ip.costsByEndpoint as Record<string, any>)) {
      lines.push(`| ${ep} | ${fmt(x.requests)} | ${x.redisRoundTripsPerRequest} | ${x.redisScriptsPerRequest} | ${x.queueShardCommandsPerRequest ?? 'n/a'} | ${Object.entries(x.dynamoOpsPerRequest).map(([k, v]) => `${k} ${v}`).join(', ') || '-'} | ${x.readUnitsPerRequest} | ${x.writeUnitsPerRequest} | ${x.sqsMessagesPerRequest} |`);
    }
    const rd = ip.redis;
    lines.push('', `Redis over the run: ${fmt(rd.serverScriptRuns)} script runs (${fmt(rd.handlerScripts)} from the handlers, ${fmt(rd.samplerScripts)} from the bench's sampler, ${fmt(rd.otherProcessScripts)} from serverless-offline's functions); ${rd.microsPerScript} µs inside a script on average, ${rd.mainThreadCpuMicrosPerScript} µs of main-thread CPU per script run (${rd.mainThreadCpuSeconds} s in all).`, '');
  }
  lines.push('![status polls per second, model vs measured](capacity-model-polls.svg)', '');
  return lines;
}

/** The "Faults and chaos" section: the chaos phase and the latest long model-test run. */
function faultsAndChaos(r: any): string[] {
  const lines = ['## Faults and chaos', ''];
  const c = r.chaos;
  if (c) {
    const o = c.options;
    lines.push(
      `Chaos during an opening (\`npm run bench -- --chaos\`): ${o.users} users over ${o.arrivalSeconds} s, ${o.maxActive} active, ${o.dates}x${o.seatsPerDate} seats, ${o.holdSeconds} s holds; every ${o.faultEverySeconds} s one service is killed with SIGKILL and started again ${o.downSeconds} s later, then all four at once. Users retry 5xx and refused connections with the same keys, as the web app does.`,
      '',
      '| fault | at (s) | down (s) | 5xx seen by users | refused connections | s from restart to normal | s from kill to normal |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...c.faults.map((f: any) => `| ${f.fault} | ${f.atSecond} | ${f.downSeconds} | ${f.server5xx} | ${f.refusedConnections} | ${f.secondsFromRestartToNormal ?? 'never'} | ${f.secondsFromKillToNormal ?? 'never'} |`),
      '',
    );
    for (const x of c.offlineCrashes ?? []) {
      lines.push(`serverless-offline exited by itself at ${x.atSecond} s (${x.error || 'no error line'}); the watchdog started it again in ${x.restartedAfterSeconds ?? '?'} s. Local only: on AWS, API Gateway, Lambda and the SQS poller are managed.`, '');
    }
    const inv = c.invariants;
    lines.push(
      `Invariants after the run: **${inv.oversells} oversells**, money ${inv.money.conserved ? '**conserved**' : '**NOT conserved**'} (charged by clients ${fmt(inv.money.chargedByClients)}, in the ledgers ${fmt(inv.money.chargedInLedgers)} = balances ${fmt(inv.money.balancesNow)} + paid ${fmt(inv.money.paidForSeats)}), audit problems: ${inv.auditProblems.length}; largest live active set ${inv.largestLiveActiveSet}/${inv.maxActive}; ${inv.unpaidHolds} unpaid holds, ${inv.unpaidHoldsNeverReleased} never released, released ${inv.releaseSecondsAfterExpiry.p50} s (p50) / ${inv.releaseSecondsAfterExpiry.max} s (max) after they ran out (bound: sweep grace + 60 s = ${inv.releaseBoundSeconds} s): ${inv.everyUnpaidHoldReleasedWithinBound ? 'met' : 'missed'}.`,
      '',
      ...(inv.unreleased?.length
        ? [`Never seen released: ${inv.unreleased.map((u: any) => `${u.reservationId} (${u.seat}, ${u.secondsOverdue} s overdue, seat ${u.seatStatus ?? '?'}${u.seatHeldByThisHold ? ' and still held by it' : ', taken by another'})`).join('; ')}.`, '']
        : []),
      `Outcomes: ${Object.entries(c.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}. 5xx by route: ${Object.entries(c.server5xxByRoute).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none'}.`,
      '',
      '![answers per second during the chaos run](chaos-answers.svg)',
      '',
    );
  }
  const m = r.model;
  if (m) {
    lines.push(
      `Randomized model test (\`${m.command}\`): ${m.passed ? 'passed' : '**failed**'}, ${fmt(m.operations)} operations in ${fmt(m.sequences)} generated sequences, ${fmt(m.invariantChecksPassed)} invariant checks passed, ${fmt(m.faultsInjected)} faults injected (${Object.entries(m.faults).map(([k, v]) => `${k} ${v}`).join(', ')}), release deliveries: ${Object.entries(m.deliveries).map(([k, v]) => `${k} ${v}`).join(', ')}; ${m.seconds} s.`,
      '',
    );
  }
  return lines;
}

export async function writeResults(dir: string, results: any): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(dir, 'report.md'), markdown(results));
  for (const [name, content] of Object.entries(await charts(results))) writeFileSync(join(dir, name), content);
}
