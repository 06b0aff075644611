/**
 * Payments of one or several held seats, and what happens around them:
 *  - over HTTP through serverless-offline (the stack runs with HOLD_LIMIT_PER_CONCERT=1):
 *    the two body forms, the limit, replays with another concert's queue token, refused
 *    concert definitions (prices above BALANCE_MAX, an existing id, invalid dates);
 *  - through the real handlers in this process, with an app built for
 *    HOLD_LIMIT_PER_CONCERT=3 on the same Redis, DynamoDB and SQS (the limit is a
 *    deployment setting, so a second serverless-offline would be the only other way):
 *    several holds paid in one payment, the session kept while a hold is left, someone
 *    else's reservation, and a hold racing the end of its session, both orders made
 *    deterministic by running the other side at the exact moment (real calls, no mocks).
 * Every test that moves money ends with the invariants audit.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { app as containerApp, createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { handler as enterHandler } from '../../functions/http/queue/enter';
import { handler as statusHandler } from '../../functions/http/queue/status';
import { handler as chargeHandler } from '../../functions/http/balance/charge';
import { handler as holdHandler } from '../../functions/http/reservations/hold';
import { handler as payHandler } from '../../functions/http/payments/pay';
import { handler as paymentsHandler } from '../../functions/http/payments/list';
import { api, asAdmin, charge, givenActiveUsers, givenConcert, hold, payFor, uniqueId } from '../support/api';
import { auditAll } from '../support/invariants';
import { invokeHttp } from '../support/lambda';

const DATE = '2027-03-01';
const PRICE = 10_000;

const payMany = (u: { token: string; queueToken: string }, reservationIds: string[], key: string = randomUUID()) =>
  api('POST', '/v1/payments', { token: u.token, queueToken: u.queueToken, body: { reservationIds }, headers: { 'idempotency-key': key } });
const queueStatus = async (u: { token: string; queueToken: string }) => (await api('GET', '/v1/queue/status', { token: u.token, queueToken: u.queueToken })).body;
const balanceOf = async (u: { token: string }) => (await api('GET', '/v1/balance', { token: u.token })).body.balance;
const queueSettings = async (concertId: string) => (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body.settings;

describe('over HTTP (HOLD_LIMIT_PER_CONCERT=1)', () => {
  it('pays with reservationIds: [id] as with reservationId, and a retry in either form replays', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const [u] = await givenActiveUsers(1, concertId);
    await charge(u!, 50_000);
    const held = await hold(u!, concertId, DATE, 3);
    const key = randomUUID();
    const paid = await payMany(u!, [held.body.reservationId], key);
    const replay = await payFor(u!, held.body.reservationId, key);

    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({
      reservationId: held.body.reservationId,
      reservationIds: [held.body.reservationId],
      seats: [{ reservationId: held.body.reservationId, date: DATE, seatNo: 3, amount: PRICE }],
      amount: PRICE,
      balance: 40_000,
      status: 'PAID',
    });
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(replay.body).toEqual(paid.body);
    expect((await api('GET', '/v1/payments', { token: u!.token })).body.payments).toEqual([paid.body]);
    expect(await queueStatus(u!)).toMatchObject({ status: 'EXPIRED', reason: 'PAID' });
    expect((await auditAll(concertId, [DATE], [u!.userId])).problems).toEqual([]);
  });

  it('refuses more ids than the limit, both forms at once, repeats and an empty list (400), changing nothing', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const [u] = await givenActiveUsers(1, concertId);
    await charge(u!, 50_000);
    const id = (await hold(u!, concertId, DATE, 1)).body.reservationId;

    const overLimit = await payMany(u!, [id, randomUUID()]);
    const both = await api('POST', '/v1/payments', { token: u!.token, queueToken: u!.queueToken, body: { reservationId: id, reservationIds: [id] }, headers: { 'idempotency-key': randomUUID() } });
    const repeated = await payMany(u!, [id, id]);
    const empty = await payMany(u!, []);
    const tooManyForAnyLimit = await payMany(u!, Array.from({ length: 11 }, () => randomUUID()));

    expect([overLimit.status, overLimit.body.error.code, overLimit.body.error.details]).toEqual([400, 'TOO_MANY_RESERVATIONS', { limit: 1 }]);
    for (const res of [both, repeated, empty, tooManyForAnyLimit]) expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await balanceOf(u!)).toBe(50_000);
    expect((await api('GET', `/v1/reservations/${id}`, { token: u!.token })).body.status).toBe('HELD');
    expect((await queueStatus(u!)).status).toBe('ACTIVE');
  });

  it('a replay sent with a queue token of another concert leaves that token alive', async () => {
    const [a, b] = await Promise.all([givenConcert({ seats: 10, price: PRICE }), givenConcert({ seats: 10, price: PRICE })]);
    const [inA] = await givenActiveUsers(1, a.concertId);
    const inB = { ...inA!, queueToken: (await api('POST', '/v1/queue/tokens', { token: inA!.token, body: { concertId: b.concertId } })).body.token as string };
    expect((await queueStatus(inB)).status).toBe('ACTIVE');
    await charge(inA!, 50_000);
    const id = (await hold(inA!, a.concertId, DATE, 2)).body.reservationId;
    const key = randomUUID();
    const paid = await payFor(inA!, id, key);
    expect(paid.status).toBe(201);

    const replay = await payFor(inB, id, key);

    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(replay.body).toEqual(paid.body);
    expect((await queueStatus(inB)).status).toBe('ACTIVE');
    expect(await queueStatus(inA!)).toMatchObject({ status: 'EXPIRED', reason: 'PAID' });
    expect(await balanceOf(inA!)).toBe(40_000);
  });
});

describe('concert definitions that are refused', () => {
  const create = async (body: Record<string, unknown>) => api('POST', '/v1/admin/concerts', { token: await asAdmin(), body });
  const definition = (concertId: string, o: { price?: number; tierPrice?: number; maxActive?: number } = {}) => ({
    concertId,
    name: `Test ${concertId}`,
    dates: [{ date: DATE, seats: 10, price: o.price ?? PRICE, ...(o.tierPrice ? { priceTiers: [{ fromSeat: 1, toSeat: 2, price: o.tierPrice }] } : {}) }],
    queue: { maxActive: o.maxActive ?? 7, admissionsPerSecond: 100 },
  });

  it('refuses seat prices above BALANCE_MAX (422) and writes nothing', async () => {
    const balanceMax = loadConfig(process.env).BALANCE_MAX;
    const flat = uniqueId('pricey');
    const tier = uniqueId('pricey');
    const atMax = uniqueId('pricey');

    const flatRes = await create(definition(flat, { price: balanceMax + 1 }));
    const tierRes = await create(definition(tier, { tierPrice: balanceMax + 1 }));
    const atMaxRes = await create(definition(atMax, { price: balanceMax }));

    for (const res of [flatRes, tierRes]) {
      expect([res.status, res.body.error.code]).toEqual([422, 'PRICE_ABOVE_BALANCE_MAX']);
      expect(res.body.error.details).toEqual({ date: DATE, price: balanceMax + 1, maxPrice: balanceMax });
    }
    expect(flatRes.body.error.message).toContain(`at most ${balanceMax} won`);
    expect(atMaxRes.status).toBe(201);
    const db = containerApp().clients.dynamo;
    for (const id of [flat, tier]) {
      expect((await db.doc.send(new GetCommand({ TableName: db.tables.concerts, Key: { concertId: id }, ConsistentRead: true }))).Item).toBeUndefined();
    }
  });

  it('an existing id (409) or invalid dates (400) leave the live queue settings as they were', async () => {
    const concertId = uniqueId('keep');
    expect((await create(definition(concertId, { maxActive: 7 }))).status).toBe(201);
    expect((await queueSettings(concertId)).maxActive).toBe(7);

    const otherDefinition = await create({ ...definition(concertId, { maxActive: 99 }), name: 'Another definition' });
    const duplicateDate = await create({ ...definition(concertId, { maxActive: 99 }), dates: [{ date: DATE, seats: 10, price: PRICE }, { date: DATE, seats: 5, price: PRICE }] });
    const closesFirst = await create({ ...definition(concertId, { maxActive: 99 }), salesOpenAt: '2030-01-02T00:00:00Z', salesCloseAt: '2030-01-01T00:00:00Z' });
    const badTier = await create({ ...definition(concertId, { maxActive: 99 }), dates: [{ date: DATE, seats: 10, price: PRICE, priceTiers: [{ fromSeat: 5, toSeat: 20, price: PRICE }] }] });
    const pricey = await create(definition(concertId, { maxActive: 99, price: loadConfig(process.env).BALANCE_MAX + 1 }));

    expect([otherDefinition.status, otherDefinition.body.error.code]).toEqual([409, 'CONCERT_EXISTS']);
    expect([duplicateDate.status, duplicateDate.body.error.code]).toEqual([400, 'DUPLICATE_DATE']);
    expect([closesFirst.status, closesFirst.body.error.code]).toEqual([400, 'CLOSE_BEFORE_OPEN']);
    expect([badTier.status, badTier.body.error.code]).toEqual([400, 'INVALID_PRICE_TIER']);
    expect([pricey.status, pricey.body.error.code]).toEqual([422, 'PRICE_ABOVE_BALANCE_MAX']);
    expect((await queueSettings(concertId)).maxActive).toBe(7);
  });
});

describe('several holds per concert (HOLD_LIMIT_PER_CONCERT=3, handlers in this process)', () => {
  let app: App;
  const h = { enter: enterHandler, status: statusHandler, charge: chargeHandler, hold: holdHandler, pay: payHandler, payments: paymentsHandler };

  beforeAll(() => {
    app = createApp(loadConfig({ ...process.env, HOLD_LIMIT_PER_CONCERT: '3' }));
    useApp(app);
  });
  afterAll(async () => {
    useApp(undefined);
    await app.close();
  });

  interface Buyer {
    userId: string;
    auth: Record<string, string>;
    gated: Record<string, string>;
  }

  async function givenBuyer(concertId: string, balance = 100_000): Promise<Buyer> {
    const userId = uniqueId('multi');
    const auth = { authorization: `Bearer ${await app.identity.issueDevToken(userId, false)}` };
    const entered = await invokeHttp(h.enter, { method: 'POST', headers: auth, body: { concertId } });
    expect(entered.body.status).toBe('ACTIVE');
    const charged = await invokeHttp(h.charge, { method: 'POST', headers: { ...auth, 'idempotency-key': randomUUID() }, body: { amount: balance } });
    expect(charged.status).toBe(201);
    return { userId, auth, gated: { ...auth, 'x-queue-token': entered.body.token } };
  }
  const holdSeat = (b: Buyer, concertId: string, seatNo: number) => invokeHttp(h.hold, { method: 'POST', headers: b.gated, body: { concertId, date: DATE, seatNo } });
  const pay = (b: Buyer, reservationIds: string[], key: string = randomUUID()) =>
    invokeHttp(h.pay, { method: 'POST', headers: { ...b.gated, 'idempotency-key': key }, body: { reservationIds } });
  const sessionOf = async (b: Buyer) => (await invokeHttp(h.status, { headers: b.gated })).body;
  const seatOf = async (concertId: string, seatNo: number) => (await app.seats.getSeat(concertId, DATE, seatNo))?.status;
  const reservationOf = async (id: string) => (await app.seats.getReservation(id))?.status;
  const balance = async (b: Buyer) => (await app.wallets.read(b.userId)).balance;

  it('pays two holds in one payment and keeps the session while a third is held; the payment of the last ends it', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const b = await givenBuyer(concertId);
    const ids: string[] = [];
    for (const seatNo of [4, 5, 6]) {
      const held = await holdSeat(b, concertId, seatNo);
      expect(held.status).toBe(201);
      ids.push(held.body.reservationId);
    }
    expect((await holdSeat(b, concertId, 7)).body.error.code).toBe('HOLD_LIMIT_REACHED');

    const key = randomUUID();
    const two = await pay(b, [ids[0]!, ids[1]!], key);
    expect(two.status).toBe(201);
    expect(two.body).toMatchObject({
      reservationId: ids[0],
      reservationIds: [ids[0], ids[1]],
      concertId,
      seats: [
        { reservationId: ids[0], date: DATE, seatNo: 4, amount: PRICE },
        { reservationId: ids[1], date: DATE, seatNo: 5, amount: PRICE },
      ],
      amount: 2 * PRICE,
      balance: 100_000 - 2 * PRICE,
      status: 'PAID',
    });
    expect([await seatOf(concertId, 4), await seatOf(concertId, 5), await seatOf(concertId, 6)]).toEqual(['RESERVED', 'RESERVED', 'HELD']);
    expect((await sessionOf(b)).status).toBe('ACTIVE');
    // The same ids in another order are the same request: a replay, not a second debit.
    const reordered = await pay(b, [ids[1]!, ids[0]!], key);
    expect([reordered.status, reordered.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(reordered.body).toEqual(two.body);
    // The same key for other seats is another request.
    expect((await pay(b, [ids[2]!], key)).status).toBe(422);

    const last = await pay(b, [ids[2]!]);
    expect(last.status).toBe(201);
    expect(await sessionOf(b)).toMatchObject({ status: 'EXPIRED', reason: 'PAID' });
    expect(await balance(b)).toBe(100_000 - 3 * PRICE);
    const listed = (await invokeHttp(h.payments, { headers: b.auth })).body.payments;
    expect(listed.map((p: { paymentId: string }) => p.paymentId)).toEqual([last.body.paymentId, two.body.paymentId]);
    const audit = await auditAll(concertId, [DATE], [b.userId]);
    expect(audit.problems).toEqual([]);
    expect(audit.seats.seats.reserved).toBe(3);
    expect(audit.wallets.payments).toHaveLength(3);
  });

  it('refuses limit+1 ids (400) and changes nothing', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const b = await givenBuyer(concertId);
    const ids = [(await holdSeat(b, concertId, 1)).body.reservationId, (await holdSeat(b, concertId, 2)).body.reservationId];

    const res = await pay(b, [...ids, randomUUID(), randomUUID()]);

    expect([res.status, res.body.error.code, res.body.error.details]).toEqual([400, 'TOO_MANY_RESERVATIONS', { limit: 3 }]);
    expect(await balance(b)).toBe(100_000);
    expect([await reservationOf(ids[0]), await reservationOf(ids[1])]).toEqual(['HELD', 'HELD']);
    expect((await sessionOf(b)).status).toBe('ACTIVE');
  });

  it("refuses a payment naming another user's reservation (404) and changes nothing for either", async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const [alice, bob] = await Promise.all([givenBuyer(concertId), givenBuyer(concertId)]);
    const own = (await holdSeat(alice, concertId, 1)).body.reservationId;
    const bobs = (await holdSeat(bob, concertId, 2)).body.reservationId;

    const res = await pay(alice, [own, bobs]);

    expect([res.status, res.body.error.code]).toEqual([404, 'RESERVATION_NOT_FOUND']);
    expect([await balance(alice), await balance(bob)]).toEqual([100_000, 100_000]);
    expect([await reservationOf(own), await reservationOf(bobs)]).toEqual(['HELD', 'HELD']);
    expect([await seatOf(concertId, 1), await seatOf(concertId, 2)]).toEqual(['HELD', 'HELD']);
    expect([(await sessionOf(alice)).status, (await sessionOf(bob)).status]).toEqual(['ACTIVE', 'ACTIVE']);
    expect((await auditAll(concertId, [DATE], [alice.userId, bob.userId])).problems).toEqual([]);
  });

  it('cancels a hold that commits after its session ended (the payment of the last other hold ended it first)', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const b = await givenBuyer(concertId);
    const first = (await holdSeat(b, concertId, 1)).body.reservationId;
    // The second hold passes the queue gate; just before its transaction the payment of
    // the first hold commits and, seeing no other live hold, ends the session.
    const realHoldSeat = app.holds.holdSeat.bind(app.holds);
    let paid: Awaited<ReturnType<typeof pay>> | undefined;
    app.holds.holdSeat = async (req) => {
      app.holds.holdSeat = realHoldSeat;
      paid = await pay(b, [first]);
      return realHoldSeat(req);
    };

    const racing = await holdSeat(b, concertId, 2);

    expect(paid?.status).toBe(201);
    expect([racing.status, racing.body.error.code]).toEqual([401, 'QUEUE_TOKEN_EXPIRED']);
    expect(await seatOf(concertId, 2)).toBe('AVAILABLE');
    expect(await app.holds.liveHolds(b.userId, concertId)).toEqual([]);
    const audit = await auditAll(concertId, [DATE], [b.userId]);
    expect(audit.problems).toEqual([]);
    expect(audit.seats.reservations).toMatchObject({ HELD: 0, CONFIRMED: 1, CANCELLED: 1 });
  });

  it('cancels a hold that committed while the payment was ending the session (the other order)', async () => {
    const { concertId } = await givenConcert({ seats: 10, price: PRICE });
    const b = await givenBuyer(concertId);
    const first = (await holdSeat(b, concertId, 1)).body.reservationId;
    // The payment saw no other live hold; just before it ends the session a second hold
    // commits (and stretches the still active session).
    const realFinish = app.waitingRoom.finish.bind(app.waitingRoom);
    let racing: Awaited<ReturnType<typeof holdSeat>> | undefined;
    app.waitingRoom.finish = async (...args) => {
      app.waitingRoom.finish = realFinish;
      racing = await holdSeat(b, concertId, 2);
      return realFinish(...args);
    };

    const paid = await pay(b, [first]);

    expect(paid.status).toBe(201);
    expect(racing?.status).toBe(201);
    expect(await sessionOf(b)).toMatchObject({ status: 'EXPIRED', reason: 'PAID' });
    expect(await reservationOf(racing!.body.reservationId)).toBe('CANCELLED');
    expect(await seatOf(concertId, 2)).toBe('AVAILABLE');
    expect(await app.holds.liveHolds(b.userId, concertId)).toEqual([]);
    expect((await auditAll(concertId, [DATE], [b.userId])).problems).toEqual([]);
  });
});
