/**
 * Booking over HTTP through serverless-offline: reading dates and seats, holding,
 * releasing, topping up and paying, and who may do what.
 */
import { randomUUID } from 'node:crypto';
import {
  api,
  charge,
  givenActiveUsers,
  givenConcert,
  givenUser,
  hold,
  payFor,
  sleep,
  type ActiveUser,
} from '../support/api';
import { auditAll } from '../support/invariants';

const DATE = '2027-03-01';
const seatsOf = (u: ActiveUser, concertId: string, date = DATE) =>
  api('GET', `/v1/concerts/${concertId}/dates/${date}/seats`, { token: u.token, queueToken: u.queueToken });
const seatStatus = async (u: ActiveUser, concertId: string, seatNo: number) =>
  (await seatsOf(u, concertId)).body.seats.find((s: { seatNo: number }) => s.seatNo === seatNo).status;

describe('reading the catalog', () => {
  it('lists concerts publicly, and dates and seats behind the queue gate', async () => {
    const { concertId } = await givenConcert({ dates: ['2027-03-01', '2027-03-02'], seats: 30, price: 70_000 });
    const [u] = await givenActiveUsers(1, concertId);

    // The public list is cached for a few seconds per container: a new concert shows up within that.
    let list = await api('GET', '/v1/concerts');
    for (let i = 0; i < 100 && !list.body.concerts?.some((c: { concertId: string }) => c.concertId === concertId); i++) {
      await sleep(100);
      list = await api('GET', '/v1/concerts');
    }
    const dates = await api('GET', `/v1/concerts/${concertId}/dates`, { token: u!.token, queueToken: u!.queueToken });
    const seats = await seatsOf(u!, concertId);

    expect(list.status).toBe(200);
    expect(list.body.concerts.find((c: { concertId: string }) => c.concertId === concertId).dates).toHaveLength(2);
    expect(dates.body.dates.map((d: object) => ({ ...d }))).toEqual([
      { date: '2027-03-01', totalSeats: 30, availableSeats: 30, minPrice: 70_000, maxPrice: 70_000 },
      { date: '2027-03-02', totalSeats: 30, availableSeats: 30, minPrice: 70_000, maxPrice: 70_000 },
    ]);
    expect(seats.body.seats).toHaveLength(30);
    expect(seats.body.seats[0]).toEqual({ seatNo: 1, status: 'AVAILABLE', price: 70_000 });
  });

  it('prices seats by tier', async () => {
    const admin = await import('../support/api').then((m) => m.asAdmin());
    const concertId = `tier-${randomUUID().slice(0, 8)}`;
    const created = await api('POST', '/v1/admin/concerts', {
      token: admin,
      body: { concertId, name: 'Tiers', dates: [{ date: DATE, seats: 20, price: 50_000, priceTiers: [{ fromSeat: 1, toSeat: 5, price: 120_000 }] }] },
    });
    expect(created.status).toBe(201);
    const [u] = await givenActiveUsers(1, concertId);
    const seats = (await seatsOf(u!, concertId)).body.seats;
    expect(seats[4].price).toBe(120_000);
    expect(seats[5].price).toBe(50_000);
  });
});

describe('creating concerts', () => {
  it('is safe to retry with the same definition, refuses another one under the same id, and bounds the size', async () => {
    const admin = await import('../support/api').then((m) => m.asAdmin());
    const concertId = `retry-${randomUUID().slice(0, 8)}`;
    const body = { concertId, name: 'Retry', dates: [{ date: DATE, seats: 10, price: 10_000 }], queue: { maxActive: 7 } };
    const first = await api('POST', '/v1/admin/concerts', { token: admin, body });
    const again = await api('POST', '/v1/admin/concerts', { token: admin, body });
    const other = await api('POST', '/v1/admin/concerts', { token: admin, body: { ...body, name: 'Other' } });
    const huge = await api('POST', '/v1/admin/concerts', {
      token: admin,
      body: { concertId: `huge-${randomUUID().slice(0, 8)}`, name: 'Huge', dates: Array.from({ length: 11 }, (_, i) => ({ date: `2027-04-${String(i + 1).padStart(2, '0')}`, seats: 1000, price: 1 })) },
    });

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.concertId).toBe(concertId);
    expect(first.body.queue.settings.maxActive).toBe(7);
    expect([other.status, other.body.error.code]).toEqual([409, 'CONCERT_EXISTS']);
    expect([huge.status, huge.body.error.code]).toEqual([400, 'TOO_MANY_SEATS']);
    expect((await api('GET', '/v1/balance?extra=1', { token: admin })).status).toBe(400);
  });

  it("leaves an existing concert's live queue settings alone when a creation under its id is refused", async () => {
    const admin = await import('../support/api').then((m) => m.asAdmin());
    const concertId = `keepq-${randomUUID().slice(0, 8)}`;
    const body = { concertId, name: 'Keep', dates: [{ date: DATE, seats: 10, price: 10_000 }], queue: { maxActive: 7, admissionsPerSecond: 3 } };
    expect((await api('POST', '/v1/admin/concerts', { token: admin, body })).status).toBe(201);
    const settingsNow = async () => (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: admin })).body.settings;
    const before = await settingsNow();

    const takeover = { maxActive: 999, admissionsPerSecond: 999, activeSessionSeconds: 9999, abandonAfterSeconds: 999 };
    const conflict = await api('POST', '/v1/admin/concerts', { token: admin, body: { ...body, name: 'Other', queue: takeover } });
    const badDates = await api('POST', '/v1/admin/concerts', {
      token: admin,
      body: { ...body, dates: [body.dates[0], body.dates[0]], queue: takeover },
    });
    const badTier = await api('POST', '/v1/admin/concerts', {
      token: admin,
      body: { ...body, dates: [{ ...body.dates[0], priceTiers: [{ fromSeat: 5, toSeat: 50, price: 1 }] }], queue: takeover },
    });

    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'CONCERT_EXISTS']);
    expect([badDates.status, badDates.body.error.code]).toEqual([400, 'DUPLICATE_DATE']);
    expect([badTier.status, badTier.body.error.code]).toEqual([400, 'INVALID_PRICE_TIER']);
    expect(await settingsNow()).toEqual(before);
    expect(before).toMatchObject({ maxActive: 7, admissionsPerSecond: 3 });
  });
});

describe('holding a seat', () => {
  it('holds a seat for one user; others see it HELD and cannot take it', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: 80_000 });
    const [alice, bob] = await givenActiveUsers(2, concertId);

    const held = await hold(alice!, concertId, DATE, 3);
    const taken = await hold(bob!, concertId, DATE, 3);

    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ status: 'HELD', concertId, date: DATE, seatNo: 3, price: 80_000 });
    const expiresIn = Date.parse(held.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(290_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);
    expect([taken.status, taken.body.error.code]).toEqual([409, 'SEAT_UNAVAILABLE']);
    expect(await seatStatus(bob!, concertId, 3)).toBe('HELD');
    const dates = await api('GET', `/v1/concerts/${concertId}/dates`, { token: bob!.token, queueToken: bob!.queueToken });
    expect(dates.body.dates[0].availableSeats).toBe(9);
  });

  it('keeps the holder in the active set until the hold ends', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 10, activeSessionSeconds: 60 } });
    const [alice] = await givenActiveUsers(1, concertId);
    const held = await hold(alice!, concertId, DATE, 1);
    const status = await api('GET', '/v1/queue/status', { token: alice!.token, queueToken: alice!.queueToken });
    expect(Date.parse(status.body.activeUntil)).toBeGreaterThanOrEqual(Date.parse(held.body.expiresAt));
  });

  it('limits each user to one hold per concert', async () => {
    const { concertId } = await givenConcert();
    const [alice] = await givenActiveUsers(1, concertId);
    const first = await hold(alice!, concertId, DATE, 1);
    const second = await hold(alice!, concertId, DATE, 2);

    expect(first.status).toBe(201);
    expect([second.status, second.body.error.code]).toEqual([409, 'HOLD_LIMIT_REACHED']);
    expect(second.body.error.details.reservationIds).toEqual([first.body.reservationId]);
    // Giving the first seat back lifts the limit.
    await api('DELETE', `/v1/reservations/${first.body.reservationId}`, { token: alice!.token });
    expect((await hold(alice!, concertId, DATE, 2)).status).toBe(201);
  });

  it('rejects bad seats, dates and bodies with 4xx and changes nothing', async () => {
    const { concertId } = await givenConcert({ seats: 50 });
    const [u] = await givenActiveUsers(1, concertId);
    const post = (body: unknown) => api('POST', '/v1/reservations', { token: u!.token, queueToken: u!.queueToken, body });

    const outcomes = await Promise.all([
      post({ concertId, date: DATE, seatNo: 0 }),
      post({ concertId, date: DATE, seatNo: 51 }),
      post({ concertId, date: DATE, seatNo: 'abc' }),
      post({ concertId, date: DATE, seatNo: 1.5 }),
      post({ concertId, date: '2027-02-30', seatNo: 1 }),
      post({ concertId, date: '03/01/2027', seatNo: 1 }),
      post({ concertId, date: '2027-03-02', seatNo: 1 }),
      post({ concertId, date: DATE, seatNo: 1, userId: 'someone-else' }),
      post('{"concertId":'),
    ]);

    expect(outcomes.map((o) => [o.status, o.body.error.code])).toEqual([
      [400, 'VALIDATION_FAILED'],
      [404, 'SEAT_NOT_FOUND'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [404, 'DATE_NOT_FOUND'],
      [400, 'VALIDATION_FAILED'],
      [400, 'INVALID_JSON'],
    ]);
    const seats = (await seatsOf(u!, concertId)).body.seats;
    expect(seats.every((s: { status: string }) => s.status === 'AVAILABLE')).toBe(true);
  });
});

describe('reservations belong to their holder', () => {
  it("does not let another user see, pay or release a user's reservation", async () => {
    const { concertId } = await givenConcert();
    const [alice, mallory] = await givenActiveUsers(2, concertId);
    await charge(mallory!, 500_000);
    const held = await hold(alice!, concertId, DATE, 7);
    const id = held.body.reservationId;

    const seen = await api('GET', `/v1/reservations/${id}`, { token: mallory!.token });
    const paid = await payFor(mallory!, id);
    const released = await api('DELETE', `/v1/reservations/${id}`, { token: mallory!.token });

    expect([seen.status, seen.body.error.code]).toEqual([404, 'RESERVATION_NOT_FOUND']);
    expect([paid.status, paid.body.error.code]).toEqual([404, 'RESERVATION_NOT_FOUND']);
    expect([released.status, released.body.error.code]).toEqual([404, 'RESERVATION_NOT_FOUND']);
    expect((await api('GET', `/v1/reservations/${id}`, { token: alice!.token })).body.status).toBe('HELD');
    expect((await api('GET', '/v1/balance', { token: mallory!.token })).body.balance).toBe(500_000);
  });

  it('lets the holder release early; the seat is free at once', async () => {
    const { concertId } = await givenConcert();
    const [alice, bob] = await givenActiveUsers(2, concertId);
    const id = (await hold(alice!, concertId, DATE, 9)).body.reservationId;

    const released = await api('DELETE', `/v1/reservations/${id}`, { token: alice!.token });
    const again = await api('DELETE', `/v1/reservations/${id}`, { token: alice!.token });

    expect(released.status).toBe(200);
    expect(released.body.status).toBe('CANCELLED');
    expect(again.body.status).toBe('CANCELLED');
    expect(await seatStatus(bob!, concertId, 9)).toBe('AVAILABLE');
    expect((await hold(bob!, concertId, DATE, 9)).status).toBe(201);
    expect((await api('GET', '/v1/reservations/not-a-uuid', { token: alice!.token })).status).toBe(400);
    expect((await api('GET', `/v1/reservations/${randomUUID()}`, { token: alice!.token })).status).toBe(404);
  });
});

describe('balance', () => {
  it('tops up, shows the balance and the history newest first, page by page', async () => {
    const u = await givenUser();
    for (const amount of [10_000, 20_000, 30_000]) expect((await charge(u, amount)).status).toBe(201);

    const balance = await api('GET', '/v1/balance', { token: u.token });
    const page1 = await api('GET', '/v1/balance/history?limit=2', { token: u.token });
    const page2 = await api('GET', `/v1/balance/history?limit=2&cursor=${page1.body.nextCursor}`, { token: u.token });

    expect(balance.body).toEqual({ userId: u.userId, balance: 60_000 });
    expect(page1.body.entries.map((e: { amount: number; balanceAfter: number }) => [e.amount, e.balanceAfter])).toEqual([
      [30_000, 60_000],
      [20_000, 30_000],
    ]);
    expect(page2.body.entries).toHaveLength(1);
    expect(page2.body.entries[0]).toMatchObject({ type: 'CHARGE', amount: 10_000, balanceAfter: 10_000 });
    expect(page2.body.nextCursor).toBeNull();
  });

  it('rejects amounts outside the policy with 4xx and changes nothing', async () => {
    const u = await givenUser();
    for (let i = 0; i < 10; i++) expect((await charge(u, 1_000_000)).status).toBe(201); // the maximum balance
    const outcomes = await Promise.all([
      charge(u, -1),
      charge(u, 0),
      charge(u, 1.5),
      api('POST', '/v1/balance/charges', { token: u.token, body: { amount: '1000' } }),
      charge(u, 999), // below the minimum charge
      charge(u, 1_000_001), // above the maximum charge
      charge(u, 1_000), // would pass the maximum balance
      api('POST', '/v1/balance/charges', { token: u.token, body: { amount: 1000, userId: 'x' } }),
      api('GET', '/v1/balance/history?limit=0', { token: u.token }),
      api('GET', '/v1/balance/history?cursor=bm90LWEtY3Vyc29y', { token: u.token }),
    ]);

    expect(outcomes.map((o) => [o.status, o.body.error.code])).toEqual([
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'AMOUNT_OUT_OF_RANGE'],
      [400, 'AMOUNT_OUT_OF_RANGE'],
      [422, 'BALANCE_LIMIT_EXCEEDED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'INVALID_CURSOR'],
    ]);
    expect((await api('GET', '/v1/balance', { token: u.token })).body.balance).toBe(10_000_000);
  });

  it('refuses a top-up without an Idempotency-Key with 400 IDEMPOTENCY_KEY_REQUIRED and changes nothing', async () => {
    const u = await givenUser();
    expect((await charge(u, 10_000)).status).toBe(201);
    const noKey = await api('POST', '/v1/balance/charges', { token: u.token, body: { amount: 5_000 } });
    const emptyKey = await api('POST', '/v1/balance/charges', { token: u.token, body: { amount: 5_000 }, headers: { 'idempotency-key': '' } });
    expect([noKey.status, noKey.body.error.code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    expect([emptyKey.status, emptyKey.body.error.code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    expect((await api('GET', '/v1/balance', { token: u.token })).body.balance).toBe(10_000);
    expect((await api('GET', '/v1/balance/history', { token: u.token })).body.entries).toHaveLength(1);
  });

  it('charges once for retries with one Idempotency-Key, and refuses the key for another amount', async () => {
    const u = await givenUser();
    const first = await charge(u, 5_000, 'topup-key-0001');
    const retry = await charge(u, 5_000, 'topup-key-0001');
    const misuse = await charge(u, 6_000, 'topup-key-0001');

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect([misuse.status, misuse.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect((await api('GET', '/v1/balance', { token: u.token })).body.balance).toBe(5_000);
  });
});

describe('paying', () => {
  it('pays a held seat from the balance: seat reserved, money moved, session ended, next user admitted', async () => {
    const { concertId } = await givenConcert({ price: 120_000, queue: { maxActive: 1 } });
    const [alice] = await givenActiveUsers(1, concertId);
    const next = await givenUser();
    const nextToken = (await api('POST', '/v1/queue/tokens', { token: next.token, body: { concertId } })).body.token;
    const id = (await hold(alice!, concertId, DATE, 5)).body.reservationId;

    const broke = await payFor(alice!, id);
    expect([broke.status, broke.body.error.code]).toEqual([402, 'INSUFFICIENT_BALANCE']);
    expect(broke.body.error.details).toMatchObject({ balance: 0, price: 120_000 });
    expect(broke.body.error.message).toMatch(/0 won.*120000 won/);

    await charge(alice!, 150_000);
    const paid = await payFor(alice!, id, 'pay-key-00001');

    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ reservationId: id, amount: 120_000, balance: 30_000, status: 'PAID', seatNo: 5 });
    expect((await api('GET', `/v1/reservations/${id}`, { token: alice!.token })).body).toMatchObject({ status: 'CONFIRMED', paymentId: paid.body.paymentId });
    expect((await api('GET', '/v1/payments', { token: alice!.token })).body.payments).toEqual([paid.body]);
    const history = (await api('GET', '/v1/balance/history', { token: alice!.token })).body.entries;
    expect(history[0]).toMatchObject({ type: 'USE', amount: 120_000, balanceAfter: 30_000, ref: `payment:${paid.body.paymentId}` });
    // The buyer's session ended and the waiting user got the slot at once.
    expect((await api('GET', '/v1/queue/status', { token: alice!.token, queueToken: alice!.queueToken })).body).toMatchObject({ status: 'EXPIRED', reason: 'PAID' });
    expect((await api('GET', '/v1/queue/status', { token: next.token, queueToken: nextToken })).body.status).toBe('ACTIVE');
    const nextUser = { ...next, queueToken: nextToken };
    expect(await seatStatus(nextUser, concertId, 5)).toBe('RESERVED');

    // A retry with the same key returns the first result; the key cannot buy something else.
    const replay = await payFor(alice!, id, 'pay-key-00001');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(paid.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const otherKey = await payFor(alice!, id, 'pay-key-00002');
    expect([otherKey.status, otherKey.body.error.code]).toEqual([409, 'ALREADY_PAID']);
    expect((await api('GET', '/v1/balance', { token: alice!.token })).body.balance).toBe(30_000);

    const audit = await auditAll(concertId, [DATE], [alice!.userId]);
    expect(audit.problems).toEqual([]);
    expect(audit.seats.seats.reserved).toBe(1);
  });

  it('requires an Idempotency-Key and a well-formed reservation id', async () => {
    const { concertId } = await givenConcert();
    const [u] = await givenActiveUsers(1, concertId);
    const noKey = await api('POST', '/v1/payments', { token: u!.token, queueToken: u!.queueToken, body: { reservationId: randomUUID() } });
    const badId = await payFor(u!, 'abc');
    const unknown = await payFor(u!, randomUUID());
    expect([noKey.status, badId.status, unknown.status]).toEqual([400, 400, 404]);
  });
});
