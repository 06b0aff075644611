/**
 * The capacity model against an in-process ticket opening (`npm run bench -- --in-process`):
 * the model is given the simulation's crowd and settings (its options, SIM_BEHAVIOUR) and
 * the per-request costs of the results.json that was there before the run (or the
 * fallbacks), never what this run measured; its prediction is then put next to the
 * measurement: requests per endpoint, polls per second, admissions, seats, Redis
 * round trips and script runs, DynamoDB request units.
 */
import { SIM_BEHAVIOUR as B } from '../crowd';
import { costsFrom } from './costs';
import { ENDPOINTS, predictOpening, type Crowd, type Endpoint, type SaleSettings } from './model';
import { round } from '../stats';

const EPS = Object.keys(ENDPOINTS) as Endpoint[];

/** SEAT_LISTING_CACHE_MS default (lib/config.ts): the simulation runs with the product's configuration. */
const SEAT_LISTING_CACHE_MS = 1000;
/** ADMISSION_TICK_MS default: one admission script run per tick. */
const ADMISSION_TICKS_PER_SECOND = 4;

export interface ComparisonRow {
  figure: string;
  model: number | null;
  measured: number | null;
  /** model / measured. */
  ratio: number | null;
}

export function crowdOfSimulation(o: any): { crowd: Crowd; sale: SaleSettings } {
  return {
    crowd: {
      users: o.users,
      arrivalSeconds: o.arrivalSeconds,
      arrivalShape: 'uniform',
      preQueueShare: o.preQueueShare,
      preQueueSeconds: o.preQueueSeconds,
      behaviour: {
        thinkSeconds: (B.thinkMinMs + B.thinkSpreadMs / 2) / 1000,
        requestSeconds: 0.01,
        giveUpShare: B.giveUpShare,
        giveUpWithinSeconds: B.giveUpWithinMs / 1000,
        leaveShare: B.leaveShare,
        holdAttempts: B.holdAttempts,
        releaseShare: B.releaseShare,
        walkAwayShare: B.walkAwayShare,
        topUpShare: 1,
      },
    },
    sale: {
      maxActive: o.maxActive,
      admissionsPerSecond: o.admissionsPerSecond,
      activeSessionSeconds: o.activeSessionSeconds,
      abandonAfterSeconds: o.abandonAfterSeconds,
      holdSeconds: o.holdSeconds,
      totalSeats: o.dates * o.seatsPerDate,
      dates: o.dates,
      seatListingCacheMs: SEAT_LISTING_CACHE_MS,
    },
  };
}

/** `sim`: results.simulation of an in-process run; `before`: the results.json read before it (costs), or {}. */
export function compareWithModel(sim: any, before: any, beforeLabel: string) {
  const { crowd, sale } = crowdOfSimulation(sim.options);
  const costs = costsFrom(before, [beforeLabel]);
  const pred = predictOpening(crowd, sale, { maxSeconds: sim.options.maxSeconds });
  const ip = sim.inProcess;
  const measuredReq = (ep: Endpoint) => ip?.costsByEndpoint?.[ENDPOINTS[ep]]?.requests ?? 0;
  const row = (figure: string, model: number | null, measured: number | null): ComparisonRow => ({
    figure,
    model: model === null ? null : round(model, 1),
    measured: measured === null ? null : round(measured, 1),
    ratio: model !== null && measured ? round(model / measured, 2) : null,
  });
  const rows: ComparisonRow[] = [];
  for (const ep of EPS) rows.push(row(`requests: ${ENDPOINTS[ep]}`, pred.totals.requests[ep], measuredReq(ep)));
  const measuredAll = EPS.reduce((a, ep) => a + measuredReq(ep), 0);
  rows.push(row('requests: all of the above', pred.totals.allRequests, measuredAll));
  rows.push(row('status polls per user', pred.totals.requests.status / crowd.users, measuredReq('status') / crowd.users));

  // Per second since the opening: polls and all requests.
  const series = sim.series?.requestsPerSecond as Record<string, [number, number][]> | undefined;
  const measuredPerSecond = new Map<number, { polls: number; all: number }>();
  for (const [name, points] of Object.entries(series ?? {})) {
    for (const [second, n] of points) {
      const m = measuredPerSecond.get(second) ?? { polls: 0, all: 0 };
      m.all += n;
      if (name === 'GET /v1/queue/status') m.polls += n;
      measuredPerSecond.set(second, m);
    }
  }
  const peakOf = (values: number[], window: number) => {
    let best = 0;
    for (let i = 0; i + window <= values.length; i++) best = Math.max(best, values.slice(i, i + window).reduce((a, b) => a + b, 0) / window);
    return best;
  };
  const seconds = [...measuredPerSecond.keys()].sort((a, b) => a - b);
  const dense = (f: (m: { polls: number; all: number }) => number) =>
    seconds.length ? Array.from({ length: seconds[seconds.length - 1]! - seconds[0]! + 1 }, (_, i) => f(measuredPerSecond.get(seconds[0]! + i) ?? { polls: 0, all: 0 })) : [];
  const modelPolls = pred.timeline.map((r) => r.requests.status);
  const modelAll = pred.timeline.map((r) => EPS.reduce((a, ep) => a + r.requests[ep], 0));
  rows.push(row('peak polls/s (1 s)', peakOf(modelPolls, 1), peakOf(dense((m) => m.polls), 1)));
  rows.push(row('peak polls/s (10 s average)', peakOf(modelPolls, 10), peakOf(dense((m) => m.polls), 10)));
  rows.push(row('peak requests/s, all endpoints (10 s average)', peakOf(modelAll, 10), peakOf(dense((m) => m.all), 10)));
  rows.push(row('admissions', pred.totals.admissions, sim.admissions));
  rows.push(row('seats paid', pred.totals.paid, sim.soldOut?.seatsSold ?? null));
  rows.push(row('sold out, s after the opening', pred.totals.soldOutAtSeconds, sim.soldOut?.secondsFromOpeningToLastSale ?? null));
  rows.push(row('users told SOLD_OUT while waiting', pred.totals.toldSoldOut, sim.soldOut?.toldSoldOut ?? null));
  rows.push(row('entries refused (409 SOLD_OUT)', pred.totals.refusedAtEntry, sim.non2xxByEndpoint?.['POST /v1/queue/tokens']?.['409 SOLD_OUT'] ?? 0));

  // Redis and DynamoDB: the model's requests times the per-request costs it was given.
  // (Entries refused after the sale ended are answered from the catalog, without Redis or DynamoDB.)
  const served = (ep: Endpoint) => pred.totals.requests[ep] - (ep === 'enter' ? pred.totals.refusedAtEntry : 0);
  const times = (f: (ep: Endpoint) => number) => EPS.reduce((a, ep) => a + served(ep) * f(ep), 0);
  const liveSeconds = pred.totals.endSeconds - (pred.timeline[0]?.t ?? 0);
  const measuredUnits = (k: 'readUnitsPerRequest' | 'writeUnitsPerRequest') =>
    ip ? Object.values(ip.costsByEndpoint as Record<string, any>).reduce((a: number, c: any) => a + c.requests * c[k], 0) : null;
  rows.push(row('Redis round trips sent by the handlers', times((ep) => costs.byEndpoint[ep].redisRoundTrips), ip?.redis?.handlerRoundTrips ?? null));
  rows.push(row("commands on the concert's queue shard, from the handlers", times((ep) => costs.byEndpoint[ep].queueShardCommands), ip ? Object.values(ip.costsByEndpoint as Record<string, any>).reduce((a: number, c: any) => a + c.requests * (c.queueShardCommandsPerRequest ?? 0), 0) : null));
  rows.push(
    row(
      'script runs Redis counted (handlers + admission loop and other jobs; the bench sampler taken out)',
      times((ep) => costs.byEndpoint[ep].redisScripts) + ADMISSION_TICKS_PER_SECOND * liveSeconds,
      ip ? ip.redis.serverScriptRuns - ip.redis.samplerScripts : null,
    ),
  );
  rows.push(row('DynamoDB read units', times((ep) => costs.byEndpoint[ep].readUnits), measuredUnits('readUnitsPerRequest')));
  rows.push(row('DynamoDB write units', times((ep) => costs.byEndpoint[ep].writeUnits), measuredUnits('writeUnitsPerRequest')));

  const chart = [
    ...pred.timeline.map((r) => ({ t: r.t, source: 'model', polls: round(r.requests.status, 1) })),
    ...seconds.map((s) => ({ t: s, source: 'measured', polls: measuredPerSecond.get(s)!.polls })),
  ];
  return {
    costsFrom: costs.sources,
    crowd,
    sale,
    rows,
    model: { totals: pred.totals, peaks: pred.peaks, stepSeconds: pred.stepSeconds, bins: pred.bins },
    pollsPerSecond: chart,
  };
}
