/**
 * Phase 6: the catalog's DynamoDB cost. (a) Creating the largest allowed concert (100
 * dates x 100 seats) through the catalog, in-process: how long it takes against the
 * 10 s default function timeout (the creation function has 29 s), and the write units it
 * costs. (b) Read units per seat listing as DynamoDB reports them (ReturnConsumedCapacity), for a show of 100 and of
 * 1,000 seats, with the product's per-container cache (SEAT_LISTING_CACHE_MS) and with no
 * cache (every listing sends its own query of the show's partition, as before the cache,
 * which also shared nothing between concurrent listings): 1,000 active
 * users refreshing the seat map every 3 s, i.e. ~333 listings/s of one show from one
 * container for 3 s (33 every 100 ms).
 */
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../context';
import { emptyScope, withScope } from '../context';
import { Listings } from '../../../lib/booking/listings';
import { ShowSeatsCache } from '../../../lib/booking/show-seats-cache';
import type { SeatStore } from '../../../lib/booking/seat-store';
import { round } from '../stats';

const LISTINGS_PER_SECOND = 333;
const SECONDS = 3;

/**
 * `cache`: the product's ShowSeatsCache, or 'none' for the listings before it: every
 * listing sent its own query. Only the seat queries are counted (the catalog's own cached
 * concert reads are not listings' cost).
 */
async function listingCost(ctx: BenchContext, scope: string, cache: ShowSeatsCache | 'none', concertId: string, date: string) {
  ctx.counters.byScope[scope] = emptyScope();
  const seats = { querySeats: (show: string) => withScope(scope, () => ctx.app.seats.querySeats(show)) } as SeatStore;
  const everyListingQueries = { get: (show: string, load: (show: string) => Promise<unknown>) => load(show) } as unknown as ShowSeatsCache;
  const listings = new Listings(ctx.app.catalog, seats, cache === 'none' ? everyListingQueries : cache);
  await ctx.app.catalog.requireShow(concertId, date);
  const total = LISTINGS_PER_SECOND * SECONDS;
  const t0 = performance.now();
  const calls: Promise<unknown>[] = [];
  // Paced: a tenth of a second's listings every 100 ms.
  for (let tick = 0; tick < SECONDS * 10; tick++) {
    const due = t0 + tick * 100;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let i = 0; i < Math.round(total / (SECONDS * 10)); i++) calls.push(listings.listSeats(concertId, date));
  }
  await Promise.all(calls);
  const s = ctx.counters.byScope[scope]!;
  const queries = s.dynamoOps.Query ?? 0;
  return {
    listings: calls.length,
    seconds: round((performance.now() - t0) / 1000, 2),
    queries,
    readUnits: round(s.readUnits, 1),
    readUnitsPerListing: round(s.readUnits / calls.length, 4),
    readUnitsPerQuery: queries > 0 ? round(s.readUnits / queries, 2) : null,
  };
}

export async function catalogCost(ctx: BenchContext) {
  const { app } = ctx;
  // (a) The largest concert the API accepts.
  const big = 'bench-catalog-largest';
  const dates = Array.from({ length: 100 }, (_, d) => new Date(Date.UTC(2028, 0, 1 + d)).toISOString().slice(0, 10));
  ctx.counters.byScope['create'] = emptyScope();
  const c0 = performance.now();
  await withScope('create', () => app.catalog.createConcert({ concertId: big, name: big, dates: dates.map((date) => ({ date, totalSeats: 100, price: 10_000, priceTiers: [] })) }));
  const createSeconds = (performance.now() - c0) / 1000;
  const created = ctx.counters.byScope['create']!;

  // (b) Listings of one show, with and without the cache.
  const rows: Record<string, unknown>[] = [];
  for (const seats of [100, 1000]) {
    const concertId = `bench-listing-${seats}`;
    await app.catalog.createConcert({ concertId, name: concertId, dates: [{ date: '2028-06-01', totalSeats: seats, price: 10_000, priceTiers: [] }] });
    rows.push({
      seatsPerShow: seats,
      noCache: await listingCost(ctx, `listing-${seats}-nocache`, 'none', concertId, '2028-06-01'),
      productCache: await listingCost(ctx, `listing-${seats}-cache`, new ShowSeatsCache(app.config.SEAT_LISTING_CACHE_MS), concertId, '2028-06-01'),
    });
  }
  return {
    largestConcert: {
      dates: 100,
      seatsPerDate: 100,
      seconds: round(createSeconds, 2),
      batchWrites: created.dynamoOps.BatchWriteItem ?? 0,
      writeUnits: round(created.writeUnits, 0),
    },
    listings: { listingsPerSecond: LISTINGS_PER_SECOND, seconds: SECONDS, cacheMs: app.config.SEAT_LISTING_CACHE_MS, rows },
  };
}
