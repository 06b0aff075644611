/**
 * Creating a concert (lib/booking/catalog.ts, seats by seat-store writeNewSeats) against
 * DynamoDB Local: the largest allowed concert (100 dates x 100 seats) is written in
 * parallel batches; a second attempt with the same definition while the first may still
 * be writing is answered 409 CONCERT_CREATING and writes nothing; an interrupted creation
 * is taken over by a retry once its lease has run out, and finished; seats DynamoDB left
 * unprocessed (a throttled partition, injected by test/support/faults.ts) are written again.
 */
import { createApp, type App } from '../../lib/app';
import { Catalog, CREATION_LEASE_SECONDS, type ConcertSpec } from '../../lib/booking/catalog';
import { SeatStore } from '../../lib/booking/seat-store';
import { loadConfig } from '../../lib/config';
import { createConcertWithQueue } from '../../lib/use-cases/create-concert';
import { uniqueId } from '../support/api';
import { quietLogs } from '../support/quiet-logs';
import { Faults } from '../support/faults';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

let app: App;
quietLogs();
beforeAll(() => {
  app = createApp(loadConfig(process.env));
});
afterAll(() => app.close());

const dates = (n: number) => Array.from({ length: n }, (_, d) => new Date(Date.UTC(2027, 0, 1 + d)).toISOString().slice(0, 10));
const spec = (concertId: string, dateCount: number, seats: number): ConcertSpec => ({
  concertId,
  name: 'Creation',
  dates: dates(dateCount).map((date) => ({ date, totalSeats: seats, price: 50_000, priceTiers: [{ fromSeat: 1, toSeat: 10, price: 90_000 }] })),
});

async function seatsOf(concertId: string, dateList: string[]) {
  const shows = await Promise.all(dateList.map((d) => app.listings.listSeats(concertId, d)));
  return shows.flatMap((s) => s.seats.map((seat) => ({ date: s.date, ...seat })));
}

it('creates the largest allowed concert, 100 dates x 100 seats, every seat AVAILABLE at its price', async () => {
  const concertId = uniqueId('big');
  const concert = await app.catalog.createConcert(spec(concertId, 100, 100));

  expect(concert.creation).toBe('READY');
  const seats = await seatsOf(concertId, dates(100));
  expect(seats).toHaveLength(10_000);
  expect(seats.every((s) => s.status === 'AVAILABLE')).toBe(true);
  expect(seats.filter((s) => s.price === 90_000)).toHaveLength(100 * 10);
  expect(new Set(seats.map((s) => `${s.date}/${s.seatNo}`)).size).toBe(10_000);
});

it('answers a second attempt while the first may still be writing with 409 CONCERT_CREATING; a later retry gets the concert', async () => {
  const concertId = uniqueId('twice');
  const s = spec(concertId, 3, 50);

  const [a, b] = await Promise.allSettled([app.catalog.createConcert(s), app.catalog.createConcert(s)]);

  const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? r.value.creation : (r.reason as { code: string }).code)).sort();
  expect(outcomes).toEqual(['CONCERT_CREATING', 'READY']);
  expect((await app.catalog.createConcert(s)).creation).toBe('READY');
  expect(await seatsOf(concertId, dates(3))).toHaveLength(150);
});

it('takes over an interrupted creation once its lease has run out, and finishes it', async () => {
  const concertId = uniqueId('crash');
  const s = spec(concertId, 2, 40);
  // A first attempt that dies after writing part of the seats, its lease long over.
  class DiesHalfway extends SeatStore {
    override async writeNewSeats(seats: Parameters<SeatStore['writeNewSeats']>[0]): Promise<void> {
      await super.writeNewSeats(seats.slice(0, 30));
      throw new Error('container died');
    }
  }
  const crashing = new Catalog(app.clients.dynamo, new DiesHalfway(app.clients.dynamo), 300);
  await expect(crashing.createConcert(s, new Date(Date.now() - (CREATION_LEASE_SECONDS + 1) * 1000))).rejects.toThrow('container died');
  await expect(app.catalog.requireConcert(concertId)).rejects.toMatchObject({ code: 'CONCERT_NOT_FOUND' });

  const concert = await app.catalog.createConcert(s);

  expect(concert.creation).toBe('READY');
  const seats = await seatsOf(concertId, dates(2));
  expect(seats).toHaveLength(80);
  expect(seats.every((x) => x.status === 'AVAILABLE')).toBe(true);
});

it('refuses a retry within the lease of an attempt that died, saying when to ask again', async () => {
  const concertId = uniqueId('early');
  const s = spec(concertId, 1, 10);
  class Dies extends SeatStore {
    override async writeNewSeats(): Promise<void> {
      throw new Error('container died');
    }
  }
  await expect(new Catalog(app.clients.dynamo, new Dies(app.clients.dynamo), 300).createConcert(s)).rejects.toThrow('container died');

  const early = app.catalog.createConcert(s);

  await expect(early).rejects.toMatchObject({ status: 409, code: 'CONCERT_CREATING' });
  const retryAfter = ((await early.catch((e: { details: { retryAfterSeconds: number } }) => e)) as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(CREATION_LEASE_SECONDS);
});

describe('when a write committed but its reply was lost (test/support/faults.ts)', () => {
  // Every write's first attempt commits and then times out; the SDK resends it, and the
  // resend fails the condition the first attempt made true. The flow must recognise its
  // own write instead of answering 409 for 60 s (creation) or a conflict (sale change).
  let faulty: App;
  let faults: Faults;
  beforeAll(() => {
    faulty = createApp(loadConfig(process.env));
    faults = new Faults({ lostReply: 1 }).install(faulty);
  });
  afterAll(() => faulty.close());

  it('creates the concert at once', async () => {
    const concertId = uniqueId('lost-reply');
    faults.enable();
    const concert = await faulty.catalog.createConcert(spec(concertId, 2, 30));
    faults.disable();
    expect(faults.injected.lostReply).toBeGreaterThanOrEqual(3); // the Put, the seat batches, the READY update
    expect(concert.creation).toBe('READY');
    expect(await seatsOf(concertId, dates(2))).toHaveLength(60);
  });

  it('moves the sale window once, without reporting a conflict', async () => {
    const concertId = uniqueId('lost-reply-sale');
    const opensAt = new Date(Date.now() + 3_600_000).toISOString();
    await faulty.catalog.createConcert({ ...spec(concertId, 1, 20), salesOpenAt: opensAt });
    const later = new Date(Date.now() + 7_200_000).toISOString();
    faults.enable();
    const changed = await faulty.catalog.changeSale(concertId, { salesOpenAt: later });
    faults.disable();
    expect(faults.injected.lostReply).toBeGreaterThanOrEqual(1);
    expect(changed.salesOpenAt).toBe(later);
    const { Item } = await faulty.clients.dynamo.doc.send(new GetCommand({ TableName: faulty.clients.dynamo.tables.concerts, Key: { concertId }, ConsistentRead: true }));
    expect(Item).toMatchObject({ salesOpenAt: later, scheduleVersion: 1 });
  });
});

describe('when DynamoDB leaves seats of a batch unprocessed (a throttled partition)', () => {
  let faulty: App;
  let faults: Faults;
  beforeAll(() => {
    faulty = createApp(loadConfig(process.env));
    // A fixed seed: with 8 first-round batches at rate 0.5, a random one injected nothing in 1 run of 256.
    faults = new Faults({ unprocessed: 0.5 }, 1).install(faulty);
  });
  afterAll(() => faulty.close());

  it('writes them again until every seat is there, each once, AVAILABLE at its price', async () => {
    const concertId = uniqueId('unprocessed');
    faults.enable();
    const concert = await faulty.catalog.createConcert(spec(concertId, 3, 60));
    faults.disable();
    expect(faults.injected.unprocessed).toBeGreaterThanOrEqual(1);
    expect(concert.creation).toBe('READY');
    const seats = await seatsOf(concertId, dates(3));
    expect(seats).toHaveLength(180);
    expect(new Set(seats.map((s) => `${s.date}/${s.seatNo}`)).size).toBe(180);
    expect(seats.every((s) => s.status === 'AVAILABLE' && s.price === (s.seatNo <= 10 ? 90_000 : 50_000))).toBe(true);
  });
});

describe('the ETA prior of a new concert', () => {
  // The deployment's history is one Redis hash that other tests fill too; here it is
  // replaced by a fixed answer, so "no history" is certain. The queue is the real one.
  const history = (meanMs: number | undefined) => ({ meanSessionMs: async () => meanMs }) as unknown as App['history'];
  const create = (h: App['history'], config: App['config']) =>
    createConcertWithQueue({ catalog: app.catalog, waitingRoom: app.waitingRoom, history: h, config }, spec(uniqueId('prior'), 1, 10));

  it('is the measured history, else the deployment\'s QUEUE_EXPECTED_SESSION_SECONDS', async () => {
    const configured = { ...app.config, QUEUE_EXPECTED_SESSION_SECONDS: 33 };
    expect((await create(history(42_000), configured)).queue.settings.expectedSessionSeconds).toBe(42);
    expect((await create(history(undefined), configured)).queue.settings.expectedSessionSeconds).toBe(33);
  });
});
