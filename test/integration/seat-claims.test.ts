/**
 * The fast claim in front of a hold (lib/booking/seat-claims.ts), with the holds of the
 * real domain against the test stack's Redis and DynamoDB Local:
 *  - a crowd on one seat runs at most a few DynamoDB transactions, one winner;
 *  - a released hold's seat can be taken again at once (the winner's claim is deleted), and
 *    so can an expired hold's (the claim's lease never outlasts the hold);
 *  - a claimer that crashed between claim and transaction blocks the seat only until its
 *    lease runs out, and a claimer that loses in DynamoDB leaves no claim behind;
 *  - with Redis unreachable every hold goes the transaction path, as without claims.
 */
import Redis from 'ioredis';
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { seatClaimKey } from '../../lib/booking/seat-claims';
import { givenConcert, sleep, uniqueId } from '../support/api';
import { auditAll } from '../support/invariants';
import { quietLogs } from '../support/quiet-logs';

quietLogs(); // the Redis outage cases warn by design

const DATE = '2027-03-01';
let redis: Redis;
const apps: App[] = [];

function appWith(env: Record<string, string> = {}, overrides: Parameters<typeof createApp>[1] = {}): App {
  const app = createApp(loadConfig({ ...process.env, ...env }), overrides);
  apps.push(app);
  return app;
}

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
  useApp(appWith()); // the audits' app, closed with the others
});
afterAll(async () => {
  useApp(undefined);
  await Promise.all(apps.map((a) => a.close()));
  await redis.quit();
});

const transactionsRun = (app: App) => {
  const s = app.clients.dynamo.transactionStats;
  return s.committed + s.cancelledTransactions;
};

it('answers 299 of 300 users on one seat from the claim: one winner, at most 3 DynamoDB transactions', async () => {
  // The count is the point here: a claim may wait as long as a slow test machine needs
  // (the product's 250 ms is the fallback's concern, tested below).
  const app = appWith({ SEAT_CLAIM_TIMEOUT_MS: '5000' });
  await app.clients.redis.ping();
  const { concertId } = await givenConcert({ seats: 10 });
  const users = Array.from({ length: 300 }, () => uniqueId('claim'));
  const before = transactionsRun(app);

  const outcomes = await Promise.all(users.map((userId) => app.holds.holdSeat({ userId, concertId, date: DATE, seatNo: 4 }).then(
    (r) => ({ ok: true as const, r }),
    (e: { status?: number; code?: string }) => ({ ok: false as const, e }),
  )));

  const winners = outcomes.filter((o) => o.ok);
  expect(winners).toHaveLength(1);
  expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : `${o.e.status} ${o.e.code}`))).toEqual(Array(299).fill('409 SEAT_UNAVAILABLE'));
  expect(transactionsRun(app) - before).toBeLessThanOrEqual(3);
  expect(await app.seats.getSeat(concertId, DATE, 4)).toMatchObject({ status: 'HELD', reservationId: winners[0]!.ok ? winners[0]!.r.reservationId : '' });
  expect((await auditAll(concertId, [DATE], users)).problems).toEqual([]);
});

it('answers the first race of a fresh container at the product\'s settings with 201 or 409 only, never 5xx', async () => {
  // Cold caches, no sockets open yet, default claim and dependency timeouts: what the
  // first 300-user race after `npm start` met (18-59 answers of 503 before).
  const app = appWith();
  const { concertId } = await givenConcert({ seats: 10 });
  const users = Array.from({ length: 300 }, () => uniqueId('first'));

  const answers = await Promise.all(users.map((userId) => app.holds.holdSeat({ userId, concertId, date: DATE, seatNo: 6 }).then(
    () => '201',
    (e: { status?: number; code?: string }) => `${e.status ?? 500} ${e.code ?? String(e)}`,
  )));

  const tally = answers.reduce<Record<string, number>>((t, a) => ({ ...t, [a]: (t[a] ?? 0) + 1 }), {});
  expect(tally).toEqual({ '201': 1, '409 SEAT_UNAVAILABLE': 299 });
  expect((await auditAll(concertId, [DATE], users)).problems).toEqual([]);
});

it('lets the next user take a released seat at once, while the winner\'s claim would still run', async () => {
  const app = appWith({ SEAT_CLAIM_LEASE_MS: '60000' });
  const { concertId } = await givenConcert({ seats: 10 });
  const [a, b] = [uniqueId('claim'), uniqueId('claim')];
  const held = await app.holds.holdSeat({ userId: a, concertId, date: DATE, seatNo: 2 });
  await expect(app.holds.holdSeat({ userId: b, concertId, date: DATE, seatNo: 2 })).rejects.toMatchObject({ code: 'SEAT_UNAVAILABLE' });

  await app.holds.cancelHold(a, held.reservationId);
  const next = await app.holds.holdSeat({ userId: b, concertId, date: DATE, seatNo: 2 });

  expect(next.status).toBe('HELD');
  expect(await app.seats.getSeat(concertId, DATE, 2)).toMatchObject({ status: 'HELD', holderId: b });
  expect((await auditAll(concertId, [DATE], [a, b])).problems).toEqual([]);
});

it('lets the next user take the seat of an expired hold at once, even with a lease longer than the hold', async () => {
  // The winner's claim is never longer than its hold: when the hold runs out, so has the claim.
  const app = appWith({ SEAT_CLAIM_LEASE_MS: '60000' });
  const { concertId } = await givenConcert({ seats: 10, holdSeconds: 1 });
  const [a, b] = [uniqueId('claim'), uniqueId('claim')];
  const held = await app.holds.holdSeat({ userId: a, concertId, date: DATE, seatNo: 5 });
  expect(await redis.pttl(seatClaimKey({ concertId, date: DATE, seatNo: 5 }))).toBeLessThanOrEqual(1000);

  while (Date.now() <= Date.parse(held.expiresAt)) await sleep(50);
  const next = await app.holds.holdSeat({ userId: b, concertId, date: DATE, seatNo: 5 });

  expect(next.status).toBe('HELD');
  expect(await app.seats.getSeat(concertId, DATE, 5)).toMatchObject({ status: 'HELD', holderId: b });
});

it('blocks a free seat only until the lease of a claimer that crashed runs out', async () => {
  const app = appWith({ SEAT_CLAIM_LEASE_MS: '500' });
  const { concertId } = await givenConcert({ seats: 10 });
  const seat = { concertId, date: DATE, seatNo: 7 };
  // What a container that died between its claim and its transaction leaves behind.
  await redis.set(seatClaimKey(seat), 'crashed-claimer', 'PX', 500, 'NX');
  const userId = uniqueId('claim');

  await expect(app.holds.holdSeat({ userId, ...seat })).rejects.toMatchObject({ code: 'SEAT_UNAVAILABLE' });
  expect(await app.seats.getSeat(concertId, DATE, 7)).toMatchObject({ status: 'AVAILABLE' });
  while ((await redis.pttl(seatClaimKey(seat))) > 0) await sleep(50);
  const held = await app.holds.holdSeat({ userId, ...seat });

  expect(held.status).toBe('HELD');
});

it('leaves no claim behind when the claimer loses in DynamoDB (the seat is held)', async () => {
  const app = appWith({ SEAT_CLAIM_LEASE_MS: '60000' });
  const { concertId } = await givenConcert({ seats: 10 });
  const seat = { concertId, date: DATE, seatNo: 9 };
  await app.holds.holdSeat({ userId: uniqueId('claim'), ...seat });
  await redis.del(seatClaimKey(seat)); // the winner's claim ran out

  await expect(app.holds.holdSeat({ userId: uniqueId('claim'), ...seat })).rejects.toMatchObject({ code: 'SEAT_UNAVAILABLE' });

  expect(await redis.exists(seatClaimKey(seat))).toBe(0);
});

it('holds through the transaction path when Redis does not answer', async () => {
  // A Redis nobody listens on: every claim fails, the holds go on without one.
  const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  const app = appWith({}, { redis: dead });
  const { concertId } = await givenConcert({ seats: 10 });
  const [a, b] = [uniqueId('claim'), uniqueId('claim')];
  const before = transactionsRun(app);

  const outcomes = await Promise.allSettled([a, b].map((userId) => app.holds.holdSeat({ userId, concertId, date: DATE, seatNo: 3 })));

  expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'SEAT_UNAVAILABLE' });
  expect(transactionsRun(app) - before).toBeGreaterThanOrEqual(1);
  expect((await auditAll(concertId, [DATE], [a, b])).problems).toEqual([]);
});

it('deletes a claim a timed-out SET wrote late when that hold fails', async () => {
  // Redis is busy (a 200 ms script) when the claim is sent: the hold stops waiting after
  // 10 ms, goes the transaction path and loses; the claim's SET runs once Redis is free and
  // must not stay behind blocking the seat for its 60 s lease.
  const app = appWith({ SEAT_CLAIM_TIMEOUT_MS: '10', SEAT_CLAIM_LEASE_MS: '60000' });
  await app.clients.redis.ping();
  const { concertId } = await givenConcert({ seats: 10 });
  const seat = { concertId, date: DATE, seatNo: 5 };
  await app.holds.holdSeat({ userId: uniqueId('claim'), ...seat });
  await redis.del(seatClaimKey(seat)); // the winner's claim ran out

  const busy = redis.eval("local t0 = redis.call('TIME') repeat local t = redis.call('TIME') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 200000 return 1", 0);
  await sleep(20); // the script is running
  await expect(app.holds.holdSeat({ userId: uniqueId('claim'), ...seat })).rejects.toMatchObject({ code: 'SEAT_UNAVAILABLE' });
  await busy;
  await sleep(100); // the late SET and the compare-and-delete queued behind it have run

  expect(await redis.exists(seatClaimKey(seat))).toBe(0);
});
