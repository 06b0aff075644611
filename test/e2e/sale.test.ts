/**
 * A ticket opening over HTTP (serverless-offline, real Redis and DynamoDB Local): the
 * sale window, the pre-queue lottery anyone can verify, SOLD_OUT told at once, seats
 * available, the end of a sale and its Redis keys.
 */
import { createHash, createHmac } from 'node:crypto';
import Redis from 'ioredis';
import { api, asAdmin, enterAndWaitActive, givenConcert, givenUser, hold, payFor, charge, pollNow, sleep, uniqueId, type User } from '../support/api';
import { mintToken } from '../support/tokens';
import { WaitingRoom } from '../../lib/queue/waiting-room';
import { queueKey, queueKeys } from '../../lib/queue/keys';

const enter = (user: User, concertId: string) => api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } });
/** A poll that wants the answer now (waits out the poll limit once if needed). */
const status = (user: User, queueToken: string) => pollNow(user, queueToken);
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

let redis: Redis;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(() => redis.quit());

const room = (endedRetentionMs = 3_600_000) =>
  new WaitingRoom(redis, {
    defaults: { maxActive: 0, admissionsPerSecond: 1000, activeSessionSeconds: 600, abandonAfterSeconds: 600, expectedSessionSeconds: 600 },
    endedRetentionMs,
    timeoutMs: 2_000,
  });

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

describe('creating a sale', () => {
  it.each([
    ['salesOpenAt is not a date', { salesOpenAt: 'next friday' }],
    ['salesCloseAt is before salesOpenAt', { salesOpenAt: inSeconds(3600), salesCloseAt: inSeconds(60) }],
    ['preQueueMinutes is negative', { preQueueMinutes: -1 }],
  ])('refuses a definition where %s, and creates nothing', async (_why, extra) => {
    const concertId = uniqueId('bad');
    const res = await api('POST', '/v1/admin/concerts', {
      token: await asAdmin(),
      body: { concertId, name: 'Bad', dates: [{ date: '2027-03-01', seats: 5, price: 1000 }], ...extra },
    });
    expect(res.status).toBe(400);
    const list = await api('GET', '/v1/concerts');
    expect(list.body.concerts.map((c: { concertId: string }) => c.concertId)).not.toContain(concertId);
    expect(await redis.exists(...queueKeys(concertId))).toBe(0);
  });

  it('lists a scheduled concert with its window and commitment, and refuses entry before the pre-queue with the opening time', async () => {
    const opensAt = inSeconds(2 * 3600);
    const { concertId, concert } = await givenConcert({ salesOpenAt: opensAt, preQueueMinutes: 30 });
    expect(concert.status).toBe('SCHEDULED');
    expect(concert.commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(concert).not.toHaveProperty('lotterySeed');

    const listed = await until(
      async () => (await api('GET', '/v1/concerts')).body.concerts.find((c: { concertId: string }) => c.concertId === concertId),
      (c) => c !== undefined,
    );
    expect(listed).toMatchObject({ status: 'SCHEDULED', salesOpenAt: opensAt, commitment: concert.commitment });

    const user = await givenUser();
    const res = await enter(user, concertId);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'SALES_NOT_OPEN', details: { opensAt } });
    expect(await redis.hexists(queueKey(concertId, 'users'), user.userId)).toBe(0);

    const fair = await api('GET', `/v1/concerts/${concertId}/fairness`);
    expect(fair.status).toBe(200);
    expect(fair.body).toMatchObject({ commitment: concert.commitment, seed: null, openedAt: null, preQueued: 0 });
  });

  it('lets an operator move a scheduled sale, and refuses moving one that is on sale', async () => {
    const { concertId } = await givenConcert({ salesOpenAt: inSeconds(3600) });
    const later = inSeconds(7200);
    const moved = await api('PATCH', `/v1/admin/concerts/${concertId}`, { token: await asAdmin(), body: { salesOpenAt: later } });
    expect(moved.status).toBe(200);
    expect(moved.body.salesOpenAt).toBe(later);

    const { concertId: onSale } = await givenConcert();
    const refused = await api('PATCH', `/v1/admin/concerts/${onSale}`, { token: await asAdmin(), body: { salesOpenAt: later } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SALE_STARTED');
    const bad = await api('PATCH', `/v1/admin/concerts/${onSale}`, { token: await asAdmin(), body: {} });
    expect(bad.status).toBe(400);
  });
});

describe('the pre-queue lottery', () => {
  it('draws N concurrent pre-queued users into exactly the HMAC order of the revealed seed, once, ahead of everyone after the opening', async () => {
    const N = 40;
    const { concertId, concert } = await givenConcert({ salesOpenAt: inSeconds(6), preQueueMinutes: 30, queue: { maxActive: 0, admissionsPerSecond: 1000 } });
    const users = await Promise.all(Array.from({ length: N }, async (_, i) => ({ userId: `pre-${concertId}-${i}`, token: await mintToken(`pre-${concertId}-${i}`) })));

    const entered = await Promise.all(users.map((u) => enter(u, concertId)));
    expect(entered.map((r) => r.status)).toEqual(users.map(() => 201));
    for (const r of entered) {
      expect(r.body).toMatchObject({ status: 'PRE_QUEUE', position: null, opensAt: concert.salesOpenAt });
      expect(r.body.entryId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(r.body.entryId).not.toBe(r.body.token);
      // Polls again right after the opening, never before it.
      expect(Date.now() + r.body.pollAfterMs).toBeGreaterThanOrEqual(Date.parse(concert.salesOpenAt) - 1000);
    }
    const again = await enter(users[0]!, concertId);
    expect(again.status).toBe(200);
    expect(again.body.entryId).toBe(entered[0]!.body.entryId);
    expect(again.body).toMatchObject({ status: 'PRE_QUEUE', position: null });
    // Polling at once, long before the pollAfterMs it was told, is refused and changes nothing.
    const early = await api('GET', '/v1/queue/status', { token: users[1]!.token, queueToken: entered[1]!.body.token });
    expect([early.status, early.body.error?.code]).toEqual([429, 'RATE_LIMITED']);

    // 20 admission runs (as if several loops reached the opening at once) right at the opening.
    await sleep(Math.max(0, Date.parse(concert.salesOpenAt) - Date.now()));
    const r = room();
    await Promise.all(Array.from({ length: 20 }, () => r.admit(concertId)));
    expect(await redis.hget(queueKey(concertId, 'meta'), 'draws')).toBe('1');

    const late = await givenUser();
    const lateEntry = await enter(late, concertId);
    expect(lateEntry.body).toMatchObject({ status: 'WAITING', position: N + 1 });

    const polled = await Promise.all(users.map((u, i) => status(u, entered[i]!.body.token)));
    const positions = polled.map((p) => p.body.position as number);
    expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));

    // Anyone can check it: the seed matches the commitment published at creation, and the
    // HMAC order of the entryIds is the drawn order.
    const fair = (await api('GET', `/v1/concerts/${concertId}/fairness`)).body;
    expect(fair.commitment).toBe(concert.commitment);
    expect(fair.preQueued).toBe(N);
    expect(fair.openedAt).not.toBeNull();
    expect(createHash('sha256').update(Buffer.from(fair.seed, 'hex')).digest('hex')).toBe(concert.commitment);
    const hmac = (id: string) => createHmac('sha256', Buffer.from(fair.seed, 'hex')).update(id).digest('hex');
    const byHmac = entered.map((e) => e.body.entryId as string).sort((a, b) => (hmac(a) < hmac(b) ? -1 : 1));
    entered.forEach((e, i) => expect(positions[i]).toBe(byHmac.indexOf(e.body.entryId) + 1));

    const page1 = (await api('GET', `/v1/concerts/${concertId}/fairness/entries?limit=25`)).body;
    const page2 = (await api('GET', `/v1/concerts/${concertId}/fairness/entries?limit=25&cursor=${page1.nextCursor}`)).body;
    expect(page2.nextCursor).toBeNull();
    expect([...page1.entries, ...page2.entries].map((e: { entryId: string }) => e.entryId)).toEqual(byHmac);
    expect(page1.entries[0]).toEqual({ position: 1, entryId: byHmac[0] });
  });
});

describe('sold out and seats available', () => {
  /** A concert of `seats` seats with one active slot: one user in it, one waiting behind. */
  async function oneActiveOneWaiting(seats: number) {
    const { concertId, dates } = await givenConcert({ seats, queue: { maxActive: 1, admissionsPerSecond: 1000 } });
    const active = await givenUser();
    const queueToken = await enterAndWaitActive(active, concertId);
    const waiter = await givenUser();
    const waiting = await enter(waiter, concertId);
    return { concertId, dates, active: { ...active, queueToken }, waiter, waiting };
  }

  it('tells a waiting user SOLD_OUT within 2 s of the last payment, and refuses new entries', async () => {
    const { concertId, dates, active: buyer, waiter, waiting } = await oneActiveOneWaiting(1);
    const { queueToken } = buyer;
    expect(waiting.body).toMatchObject({ status: 'WAITING', position: 1, seatsAvailable: 1 });
    expect(waiting.body.etaRange.low).toBeLessThanOrEqual(waiting.body.etaSeconds);
    expect(waiting.body.etaRange.high).toBeGreaterThanOrEqual(waiting.body.etaSeconds);

    const held = await hold({ ...buyer, queueToken }, concertId, dates[0]!, 1);
    expect(held.status).toBe(201);
    expect((await status(waiter, waiting.body.token)).body).toMatchObject({ status: 'WAITING', seatsAvailable: 0 });
    await charge(buyer, held.body.price, uniqueId('k'));
    expect((await payFor({ ...buyer, queueToken }, held.body.reservationId)).status).toBe(201);
    const paidAt = Date.now();

    const told = await status(waiter, waiting.body.token);
    expect(told.body.status).toBe('SOLD_OUT');
    expect(Date.now() - paidAt).toBeLessThan(2000);
    const refused = await enter(await givenUser(), concertId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SOLD_OUT');
    const listed = await until(
      async () => (await api('GET', '/v1/concerts')).body.concerts.find((c: { concertId: string }) => c.concertId === concertId),
      (c) => c?.status === 'SOLD_OUT',
    );
    expect(listed.status).toBe('SOLD_OUT');
    const ttl = await Promise.all(queueKeys(concertId).map((k) => redis.pttl(k)));
    expect(ttl.filter((t) => t === -1)).toEqual([]);
  });

  it('raises seatsAvailable again when a hold is given back', async () => {
    const { concertId, dates, active: holder, waiter, waiting } = await oneActiveOneWaiting(2);
    const { queueToken } = holder;
    const held = await hold({ ...holder, queueToken }, concertId, dates[0]!, 2);
    expect((await status(waiter, waiting.body.token)).body.seatsAvailable).toBe(1);
    expect((await api('DELETE', `/v1/reservations/${held.body.reservationId}`, { token: holder.token })).status).toBe(200);
    expect((await status(waiter, waiting.body.token)).body.seatsAvailable).toBe(2);
  });
});

describe('the end of a sale', () => {
  it('closes at salesCloseAt: waiting users are told CLOSED, new entries get 409 SALES_CLOSED, and the keys expire', async () => {
    const { concertId } = await givenConcert({ salesCloseAt: inSeconds(3), queue: { maxActive: 0, admissionsPerSecond: 1000 } });
    const waiter = await givenUser();
    const waiting = await enter(waiter, concertId);
    expect(waiting.status).toBe(201);
    await sleep(Math.max(0, Date.parse(inSeconds(0)) + 3200 - Date.now()));
    await until(async () => (await status(waiter, waiting.body.token)).body.status, (s) => s === 'CLOSED');
    expect((await status(waiter, waiting.body.token)).body.status).toBe('CLOSED');
    const refused = await enter(await givenUser(), concertId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SALES_CLOSED');
    const ttl = await Promise.all(queueKeys(concertId).map((k) => redis.pttl(k)));
    expect(ttl.filter((t) => t === -1)).toEqual([]);
  });

  it('lets an operator close a sale early, and a closed queue leaves nothing in Redis after the retention', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0, admissionsPerSecond: 1000 } });
    await enter(await givenUser(), concertId);
    const closed = await api('PATCH', `/v1/admin/concerts/${concertId}`, { token: await asAdmin(), body: { close: true } });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('CLOSED');
    expect((await enter(await givenUser(), concertId)).body.error.code).toBe('SALES_CLOSED');
    const again = await api('PATCH', `/v1/admin/concerts/${concertId}`, { token: await asAdmin(), body: { close: true } });
    expect(again.status).toBe(409);

    // The same end with a one-second retention: every key is gone after it.
    const short = uniqueId('short');
    const r = room(1000);
    await r.schedule(short, { opensAtMs: Date.now() - 1000, closesAtMs: 0, version: 0, totalSeats: 10 });
    await r.enter(short, 'someone');
    await r.schedule(short, { opensAtMs: Date.now() - 1000, closesAtMs: Date.now(), version: 1, totalSeats: 10 });
    expect(await redis.exists(...queueKeys(short))).toBeGreaterThan(0);
    await sleep(1500);
    expect(await redis.exists(...queueKeys(short))).toBe(0);
  });
});
