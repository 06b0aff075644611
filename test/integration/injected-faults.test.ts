/**
 * The invariants under the faults AWS produces and the emulators never do
 * (test/support/faults.ts, test/support/release-poller.ts): TransactionConflict
 * cancellations, throttling, writes that committed but whose reply was lost (the SDK
 * retries them with the same ClientRequestToken), duplicate SQS sends and deliveries,
 * reordered batches, failed batch items and Lambda retries of the release consumer.
 *
 * The handlers run in-process through their middy stacks against the shared DynamoDB
 * Local, Redis and SQS emulator; the faults are injected inside the SDK's retry loop.
 * Every run prints its seed; FAULT_SEED=<seed> repeats its faults.
 */
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { DependencyUnavailableError, type AppError } from '../../lib/errors';
import { handler as enter } from '../../functions/http/queue/enter';
import { handler as leave } from '../../functions/http/queue/leave';
import { handler as charge } from '../../functions/http/balance/charge';
import { handler as hold } from '../../functions/http/reservations/hold';
import { handler as pay } from '../../functions/http/payments/pay';
import { handler as releaseConsumer } from '../../functions/jobs/release-hold';
import { Faults } from '../support/faults';
import { ReleasePoller } from '../support/release-poller';
import { auditAll } from '../support/invariants';
import { invokeHttp } from '../support/lambda';
import { quietLogs } from '../support/quiet-logs';
import { sleep, uniqueId } from '../support/api';

quietLogs(); // injected faults are logged as warnings and errors

const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const queueName = uniqueId('release-faults');
let app: App;
let faults: Faults;
let queueUrl: string;

beforeAll(async () => {
  console.log(`[faults] seed ${seed} (FAULT_SEED=${seed} repeats this run's faults)`);
  app = createApp(
    loadConfig({
      ...process.env,
      HOLD_RELEASE_QUEUE_NAME: queueName,
      QUEUE_MAX_ACTIVE: '1000',
      QUEUE_ADMIT_PER_SECOND: '1000',
      RATE_LIMIT_TOPUPS_PER_MINUTE: '1000',
      RATE_LIMIT_HOLDS_PER_MINUTE: '1000',
    }),
  );
  useApp(app);
  // A queue of this test's own, so no other consumer (serverless-offline-sqs) takes its
  // messages; a 1 s visibility timeout brings failed deliveries back quickly.
  queueUrl = (await app.clients.sqs.client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '1' } }))).QueueUrl!;
  faults = new Faults({}, seed).install(app);
});

afterAll(async () => {
  faults.disable();
  await app.clients.sqs.client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  await app.close();
});

afterEach(() => faults.disable());

async function activeUser(concertId: string, prefix: string) {
  const userId = uniqueId(prefix);
  const auth = { authorization: `Bearer ${await app.identity.issueDevToken(userId, false)}` };
  const entered = await invokeHttp(enter, { method: 'POST', headers: auth, body: { concertId } });
  expect(entered.body.status).toBe('ACTIVE');
  return { userId, auth, gated: { ...auth, 'x-queue-token': entered.body.token as string } };
}

/** Sends a request again while it answers 503 (what a client with an idempotency key does). */
async function untilNot503(call: () => ReturnType<typeof invokeHttp>, seen: number[]) {
  for (let i = 0; ; i++) {
    const res = await call();
    seen.push(res.status);
    if (res.status !== 503 || i >= 20) return res;
    await sleep(20);
  }
}

it('holds each contended seat exactly once under conflicts, throttling and lost replies, with no 5xx', async () => {
  const concertId = uniqueId('faults-race');
  const date = '2027-09-01';
  const seatCount = 10;
  await app.catalog.createConcert({ concertId, name: 'Faulty race', dates: [{ date, totalSeats: seatCount, price: 20_000, priceTiers: [] }] });
  const users = await Promise.all(Array.from({ length: 80 }, () => activeUser(concertId, 'racer')));

  faults.enable({ conflict: 0.3, throttle: 0.1, lostReply: 0.2 });
  const before = { ...faults.injected };
  const answers = await Promise.all(users.map((u, i) => invokeHttp(hold, { method: 'POST', headers: u.gated, body: { concertId, date, seatNo: (i % seatCount) + 1 } })));
  faults.disable();

  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
  const won = answers.filter((a) => a.status === 201);
  expect(won).toHaveLength(seatCount);
  expect(new Set(won.map((a) => a.body.seatNo)).size).toBe(seatCount);
  for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('SEAT_UNAVAILABLE');
  const injected = faults.injected.conflict + faults.injected.throttle + faults.injected.lostReply - before.conflict - before.throttle - before.lostReply;
  expect(injected).toBeGreaterThan(0);

  const audit = await auditAll(concertId, [date], users.map((u) => u.userId));
  expect(audit.problems).toEqual([]);
  expect(audit.seats.seats.held).toBe(seatCount);
  expect(audit.seats.seats.held + audit.seats.seats.available).toBe(seatCount);
  expect(audit.seats.seats.reserved).toBe(0);
}, 60_000);

it('applies every top-up and payment exactly once when replies are lost, even when retries run out (503)', async () => {
  const concertId = uniqueId('faults-money');
  const date = '2027-09-02';
  const price = 20_000;
  const seatCount = 30;
  await app.catalog.createConcert({ concertId, name: 'Faulty money', dates: [{ date, totalSeats: seatCount, price, priceTiers: [] }] });
  const users = await Promise.all(Array.from({ length: seatCount }, () => activeUser(concertId, 'payer')));

  faults.enable({ conflict: 0.2, throttle: 0.1, lostReply: 0.25, exhaust: 0.06 });
  const seen: number[] = [];
  const results = await Promise.all(
    users.map(async (u, i) => {
      // Three top-ups, each sent again with its key while it answers 503.
      const charges = [];
      for (let k = 0; k < 3; k++) {
        const key = `${u.userId}-topup-${k}`;
        charges.push(await untilNot503(() => invokeHttp(charge, { method: 'POST', headers: { ...u.auth, 'idempotency-key': key }, body: { amount: 10_000 } }), seen));
      }
      const held = await untilNot503(() => invokeHttp(hold, { method: 'POST', headers: u.gated, body: { concertId, date, seatNo: i + 1 } }), seen);
      if (held.status !== 201) return { u, charges, held, paid: undefined };
      const key = `${u.userId}-pay`;
      const paid = await untilNot503(() => invokeHttp(pay, { method: 'POST', headers: { ...u.gated, 'idempotency-key': key }, body: { reservationId: held.body.reservationId } }), seen);
      // Once more with the same key: a replay, never a second charge.
      const again = await untilNot503(() => invokeHttp(pay, { method: 'POST', headers: { ...u.gated, 'idempotency-key': key }, body: { reservationId: held.body.reservationId } }), seen);
      return { u, charges, held, paid, again };
    }),
  );
  faults.disable();

  // Only the three answers the contract allows here; 503 only where retries ran out.
  expect(seen.filter((s) => ![200, 201, 409, 503].includes(s))).toEqual([]);
  const unavailable = seen.filter((s) => s === 503).length;
  expect(unavailable).toBeLessThanOrEqual(faults.injected.exhausted);
  for (const r of results) {
    for (const c of r.charges) expect(c.status).toBe(201);
    // A hold whose reply was lost after it committed is answered 409 on the retry (the
    // seat is held, by this user's unseen reservation); it is released like any unpaid hold.
    expect([201, 409]).toContain(r.held.status);
    if (r.paid) {
      expect(r.paid.status).toBe(201);
      expect(r.again!.status).toBe(201);
      expect(r.again!.body.paymentId).toBe(r.paid.body.paymentId);
    }
  }

  const audit = await auditAll(concertId, [date], users.map((u) => u.userId));
  expect(audit.problems).toEqual([]);
  const paidCount = results.filter((r) => r.paid).length;
  expect(audit.seats.seats.reserved).toBe(paidCount);
  expect(paidCount).toBeGreaterThan(seatCount / 2);
  // Money: each key's top-up once, each sold seat's price once.
  expect(audit.wallets.totalCharged).toBe(users.length * 3 * 10_000);
  expect(audit.wallets.totalUsed).toBe(paidCount * price);
  expect(audit.wallets.totalBalance).toBe(users.length * 3 * 10_000 - paidCount * price);
  console.log(`[faults] money: ${seen.length} requests, ${unavailable} x 503, injected ${JSON.stringify(faults.injected)}`);
}, 120_000);

it('releases every unpaid hold through duplicated, reordered, failed and retried deliveries, and never frees a paid seat', async () => {
  const concertId = uniqueId('faults-release');
  const date = '2027-09-03';
  const seatCount = 20;
  await app.catalog.createConcert({ concertId, name: 'Faulty release', holdSeconds: 1, dates: [{ date, totalSeats: seatCount, price: 10_000, priceTiers: [] }] });
  const first = Array.from({ length: seatCount }, () => uniqueId('first'));
  const second = Array.from({ length: seatCount }, () => uniqueId('second'));
  for (const userId of second) await app.wallet.charge(userId, 50_000);
  const random = (() => {
    let s = seed;
    return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  })();
  const poller = new ReleasePoller(app, queueUrl, releaseConsumer as any, { duplicate: 0.3, reorder: true, failItem: 0.2, lambdaRetry: 0.2, lostInvocation: 0.1 }, random);

  // Holds whose every attempt fails never send a release message (only the sweep frees
  // those, test/integration/sqs-outage.test.ts), so exhaustion starts with the consumer.
  faults.enable({ conflict: 0.2, throttle: 0.1, lostReply: 0.2, sqsLostReply: 0.3 });
  const firstHolds = await Promise.all(first.map((userId, i) => app.holds.holdSeat({ userId, concertId, date, seatNo: i + 1 }).catch((e) => e)));
  const placed = firstHolds.filter((h) => h.status === 'HELD');
  expect(placed.length).toBeGreaterThan(seatCount / 2);
  faults.enable({ conflict: 0.2, throttle: 0.1, lostReply: 0.2, exhaust: 0.05, sqsLostReply: 0.3 });
  poller.start();

  // As each seat comes back, a second user holds it and pays at once (within the 1 s
  // hold); late and duplicate releases of the first hold must leave the sale alone.
  const paidBy = new Map<number, string>();
  const heldBy = new Map<number, string>();
  const deadline = Date.now() + 40_000;
  while (paidBy.size < seatCount && Date.now() < deadline) {
    await Promise.all(
      second.map(async (userId, i) => {
        const seatNo = i + 1;
        if (paidBy.has(seatNo)) return;
        try {
          if (!heldBy.has(seatNo)) heldBy.set(seatNo, (await app.holds.holdSeat({ userId, concertId, date, seatNo })).reservationId);
          // The same key on every try: a payment whose reply was lost is replayed, not repeated.
          const p = await app.payments.pay({ userId, reservationIds: [heldBy.get(seatNo)!], idempotencyKey: `${userId}-pay-${heldBy.get(seatNo)}`, requireActive: async () => undefined });
          paidBy.set(seatNo, p.payment.paymentId);
        } catch (err) {
          // Taken or not yet released: hold again next round. An outage (retries ran
          // out): pay the same hold again. A hold that ended before it was paid: hold again.
          if (!(err instanceof DependencyUnavailableError)) heldBy.delete(seatNo);
        }
      }),
    );
    await sleep(200);
  }
  // Let the remaining (duplicate, redelivered) release messages run against the sold seats.
  const drainBy = Date.now() + 20_000;
  for (;;) {
    const counts = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
    const attrs = await app.clients.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...counts] }));
    const left = counts.reduce((n, k) => n + Number(attrs.Attributes?.[k] ?? 0), 0);
    if (left === 0 || Date.now() > drainBy) break;
    await sleep(250);
  }
  await poller.stop();
  faults.disable();

  const audit = await auditAll(concertId, [date], [...first, ...second]);
  expect(audit.problems).toEqual([]);
  // Every seat the second wave paid is sold to it; every first-wave hold has ended.
  expect(audit.seats.seats.reserved).toBe(paidBy.size);
  expect(audit.seats.reservations.HELD).toBe(0);
  for (const s of audit.seats.sold) expect(second).toContain(s.userId);
  expect(paidBy.size).toBeGreaterThanOrEqual(placed.length);
  const st = poller.stats;
  expect(st.duplicates + faults.injected.sqsLostReply).toBeGreaterThan(0);
  expect(st.failedItems + st.lambdaRetries + st.lostInvocations).toBeGreaterThan(0);
  console.log(`[faults] release: poller ${JSON.stringify(st)}, injected ${JSON.stringify(faults.injected)}`);
}, 120_000);

it('keeps one place per user, FIFO and the active maximum when Redis runs a command but its reply is lost', async () => {
  const concertId = uniqueId('faults-queue');
  await app.catalog.createConcert({ concertId, name: 'Faulty queue', dates: [{ date: '2027-09-05', totalSeats: 10, price: 10_000, priceTiers: [] }] });
  const maxActive = 5;
  await app.waitingRoom.configure(concertId, { maxActive, admissionsPerSecond: 1000, activeSessionSeconds: 600, abandonAfterSeconds: 600 });
  const users = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const userId = uniqueId(`q${i}`);
      return { userId, auth: { authorization: `Bearer ${await app.identity.issueDevToken(userId, false)}` }, queueToken: '' };
    }),
  );
  const seen: number[] = [];
  const activeNow = async () => (await app.waitingRoom.figures(concertId)).active;
  let largestActive = 0;

  faults.enable({ redisLostReply: 0.3 });
  const before = faults.injected.redisLostReply;
  // One after another, so the order of arrival is known; a lost reply is retried as a
  // client would, and entering again must return the same place.
  for (const u of users) {
    const res = await untilNot503(() => invokeHttp(enter, { method: 'POST', headers: u.auth, body: { concertId } }), seen);
    expect(res.status).toBe(201);
    u.queueToken = res.body.token;
  }
  const lostDuringEntry = faults.injected.redisLostReply - before;
  // Leaves of the active users and admission runs, each retried after a lost reply: the
  // next in line are admitted in their order of arrival, never more than maxActive.
  for (let round = 0; round < 5; round++) {
    for (const u of users.slice(round * maxActive, (round + 1) * maxActive)) {
      const res = await untilNot503(() => invokeHttp(leave, { method: 'DELETE', headers: { ...u.auth, 'x-queue-token': u.queueToken } }), seen);
      expect(res.status).toBeLessThan(300);
    }
    for (let k = 0; k < 3; k++) await app.waitingRoom.admit(concertId).catch(() => undefined);
    faults.disable();
    largestActive = Math.max(largestActive, await activeNow());
    faults.enable({ redisLostReply: 0.3 });
  }
  faults.disable();
  expect(lostDuringEntry).toBeGreaterThan(0);
  expect(seen.filter((s) => s >= 500 && s !== 503)).toEqual([]);

  // Without faults, read through the booking gate (a poll right after entering would be
  // 429 by the poll limit): users 25..29 are ACTIVE, the rest wait at 1..10 in their order.
  const left = 5 * maxActive;
  for (const [i, u] of users.entries()) {
    const where = await app.waitingRoom.requireActive(u.queueToken, u.userId, concertId).then(
      () => ({ i, code: 'ACTIVE', position: 0 }),
      (err: AppError) => ({ i, code: err.code, position: Number(err.details?.position ?? -1) }),
    );
    if (i < left) expect(where.code).toBe('QUEUE_TOKEN_EXPIRED');
    else if (i < left + maxActive) expect(where).toEqual({ i, code: 'ACTIVE', position: 0 });
    else expect(where).toEqual({ i, code: 'QUEUE_TOKEN_NOT_ACTIVE', position: i - left - maxActive + 1 });
  }
  const figures = await app.waitingRoom.figures(concertId);
  expect({ waiting: figures.waiting, active: figures.active, issued: figures.ticketsIssued }).toEqual({ waiting: users.length - left - maxActive, active: maxActive, issued: users.length });
  expect(largestActive).toBeLessThanOrEqual(maxActive);
}, 60_000);
