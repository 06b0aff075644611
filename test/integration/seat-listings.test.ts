/**
 * The seat map and dates list from the container's short cache
 * (lib/booking/show-seats-cache.ts), against DynamoDB Local:
 *  - a crowd listing one show costs one query per container and cache period;
 *  - this container's own holds and releases show at once (the commit forgets the show);
 *  - another container's change shows once the cache period has passed;
 *  - an expired hold reads AVAILABLE from the cached items, without a new query.
 */
import { createApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { sleep, uniqueId } from '../support/api';

const DATE = '2027-05-01';
const apps: App[] = [];

function appWith(env: Record<string, string> = {}): App {
  const app = createApp(loadConfig({ ...process.env, SEAT_CLAIM_LEASE_MS: '0', ...env }));
  apps.push(app);
  return app;
}
afterAll(() => Promise.all(apps.map((a) => a.close())));

/** Seat queries (Query on the seats table) the app sends. */
function countQueries(app: App) {
  const counter = { queries: 0 };
  app.clients.dynamo.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; IndexName?: string };
      if (context.commandName === 'QueryCommand' && input.TableName === app.clients.dynamo.tables.seats && !input.IndexName) counter.queries++;
      return next(args);
    },
    { step: 'initialize', name: `countSeatQueries-${uniqueId('m')}` },
  );
  return counter;
}

async function concert(app: App, holdSeconds?: number) {
  const concertId = uniqueId('list');
  await app.catalog.createConcert({ concertId, name: 'Listings', holdSeconds, dates: [{ date: DATE, totalSeats: 100, price: 10_000, priceTiers: [] }] });
  return concertId;
}
const statusOf = async (app: App, concertId: string, seatNo: number) => (await app.listings.listSeats(concertId, DATE)).seats[seatNo - 1]!.status;

it('answers 500 concurrent and 500 later listings of one show within the cache period with one query', async () => {
  const app = appWith({ SEAT_LISTING_CACHE_MS: '10000' });
  const concertId = await concert(app);
  const counter = countQueries(app);

  const crowd = await Promise.all(Array.from({ length: 500 }, () => app.listings.listSeats(concertId, DATE)));
  for (let i = 0; i < 250; i++) await app.listings.listSeats(concertId, DATE);
  await Promise.all(Array.from({ length: 250 }, () => app.listings.listDates(concertId)));

  expect(counter.queries).toBe(1);
  expect(crowd.every((l) => l.seats.length === 100 && l.availableSeats === 100)).toBe(true);
});

it('shows this container\'s own hold and release at once', async () => {
  const app = appWith({ SEAT_LISTING_CACHE_MS: '10000' });
  const concertId = await concert(app);
  expect(await statusOf(app, concertId, 3)).toBe('AVAILABLE');

  const userId = uniqueId('u');
  const held = await app.holds.holdSeat({ userId, concertId, date: DATE, seatNo: 3 });
  expect(await statusOf(app, concertId, 3)).toBe('HELD');
  expect((await app.listings.listDates(concertId)).dates[0]!.availableSeats).toBe(99);

  await app.holds.cancelHold(userId, held.reservationId);
  expect(await statusOf(app, concertId, 3)).toBe('AVAILABLE');
});

it('shows another container\'s hold once the cache period has passed', async () => {
  const reader = appWith({ SEAT_LISTING_CACHE_MS: '300' });
  const writer = appWith();
  const concertId = await concert(writer);
  expect(await statusOf(reader, concertId, 8)).toBe('AVAILABLE');

  await writer.holds.holdSeat({ userId: uniqueId('u'), concertId, date: DATE, seatNo: 8 });
  await sleep(350);

  expect(await statusOf(reader, concertId, 8)).toBe('HELD');
});

it('reads an expired hold as AVAILABLE from the cached seats, without a new query', async () => {
  const app = appWith({ SEAT_LISTING_CACHE_MS: '10000' });
  const concertId = await concert(app, 1);
  const held = await app.holds.holdSeat({ userId: uniqueId('u'), concertId, date: DATE, seatNo: 5 });
  expect(await statusOf(app, concertId, 5)).toBe('HELD');
  const counter = countQueries(app);

  while (Date.now() <= Date.parse(held.expiresAt)) await sleep(50);

  expect(await statusOf(app, concertId, 5)).toBe('AVAILABLE');
  expect(counter.queries).toBe(0);
});

it('queries every time with the cache off (SEAT_LISTING_CACHE_MS=0), sharing only concurrent queries', async () => {
  const app = appWith({ SEAT_LISTING_CACHE_MS: '0' });
  const concertId = await concert(app);
  const counter = countQueries(app);

  for (let i = 0; i < 5; i++) await app.listings.listSeats(concertId, DATE);

  expect(counter.queries).toBe(5);
});
