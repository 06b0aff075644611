/**
 * The abuse limits over HTTP on the embedded stack (defaults of lib/config.ts; the test
 * stack only raises the top-up limit, whose default is tested in
 * test/integration/limits.test.ts): holds and releases per user per minute, and holds
 * that expired unpaid per user and concert. A refused request changes nothing and says
 * when to come back (Retry-After); admins see the refusals in the queue figures.
 */
import { app } from '../../lib/app';
import { api, asAdmin, enterAndWaitActive, givenActiveUsers, givenConcert, givenUser, hold, sleep } from '../support/api';
import { queueKey } from '../../lib/queue/keys';

const seatStatus = async (u: { token: string; queueToken: string }, concertId: string, date: string, seatNo: number) =>
  (await api('GET', `/v1/concerts/${concertId}/dates/${date}/seats`, { token: u.token, queueToken: u.queueToken })).body.seats.find(
    (s: { seatNo: number }) => s.seatNo === seatNo,
  ).status;
const limitedFigures = async (concertId: string) => (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body.limited;

describe('holds and releases per user per minute (RATE_LIMIT_HOLDS_PER_MINUTE, default 20)', () => {
  it('answers the 21st hold or release within a minute with 429 RATE_LIMITED and Retry-After, changing nothing; other users are not affected', async () => {
    const { concertId, dates } = await givenConcert({ seats: 5 });
    const [churner, other] = await givenActiveUsers(2, concertId);
    const date = dates[0]!;

    // 10 hold/release cycles: 20 requests, all served.
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const held = await hold(churner!, concertId, date, 1);
      expect(held.status).toBe(201);
      const released = await api('DELETE', `/v1/reservations/${held.body.reservationId}`, { token: churner!.token });
      expect(released.status).toBe(200);
    }
    // The bucket refills one request every 3 s (20 per minute), so the cycles above may
    // have earned a few more; beyond those the next hold is refused.
    const earned = Math.ceil((Date.now() - started) / 3000) + 1;
    // Whichever request (a hold or a release) the limit refuses first changes nothing:
    // a refused hold leaves the seat AVAILABLE, a refused release leaves it HELD.
    let refused = await hold(churner!, concertId, date, 1);
    let seatAfter = 'AVAILABLE';
    for (let extra = 0; refused.status === 201 && extra < earned; extra++) {
      const released = await api('DELETE', `/v1/reservations/${refused.body.reservationId}`, { token: churner!.token });
      if (released.status !== 200) {
        refused = released;
        seatAfter = 'HELD';
        break;
      }
      refused = await hold(churner!, concertId, date, 1);
    }

    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await seatStatus(churner!, concertId, date, 1)).toBe(seatAfter);
    // Another user holds and releases as usual.
    const othersHold = await hold(other!, concertId, date, seatAfter === 'AVAILABLE' ? 1 : 2);
    expect(othersHold.status).toBe(201);
    expect((await limitedFigures(concertId)).rateLimited).toBeGreaterThanOrEqual(1);
  });
});

describe('holds that expire unpaid (UNPAID_HOLDS_LIMIT, default 3)', () => {
  it('refuses holding in that concert with 429 TOO_MANY_UNPAID_HOLDS after three holds ran out unpaid; early releases do not count', async () => {
    const { concertId, dates } = await givenConcert({ seats: 10, holdSeconds: 1 });
    const { concertId: elsewhere } = await givenConcert({ seats: 10 });
    const [walker] = await givenActiveUsers(1, concertId);
    const date = dates[0]!;

    // Given back before it ran out: not counted.
    const early = await hold(walker!, concertId, date, 9);
    expect((await api('DELETE', `/v1/reservations/${early.body.reservationId}`, { token: walker!.token })).status).toBe(200);

    for (let i = 1; i <= 3; i++) {
      const held = await hold(walker!, concertId, date, i);
      expect(held.status).toBe(201);
      await sleep(Date.parse(held.body.expiresAt) - Date.now() + 50);
      // The release consumer (or this call, whichever is first) ends it exactly once.
      await app().holds.releaseExpiredHold(held.body.reservationId);
      const deadline = Date.now() + 10_000;
      while ((await app().limits.unpaidHolds(walker!.userId, concertId)) < i && Date.now() < deadline) await sleep(50);
      expect(await app().limits.unpaidHolds(walker!.userId, concertId)).toBe(i);
    }

    const refused = await hold(walker!, concertId, date, 5);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_UNPAID_HOLDS', details: { unpaidHolds: 3, limit: 3 } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3600);
    expect(await seatStatus(walker!, concertId, date, 5)).toBe('AVAILABLE');
    expect((await limitedFigures(concertId)).tooManyUnpaidHolds).toBe(1);
    // Only that concert: the same user still holds elsewhere.
    const elsewhereToken = await enterAndWaitActive(walker!, elsewhere);
    expect((await hold({ ...walker!, queueToken: elsewhereToken }, elsewhere, '2027-03-01', 1)).status).toBe(201);
  });
});

describe('queue status polls (QUEUE_POLL_MIN_FRACTION, default 0.5 of pollAfterMs)', () => {
  const poll = (u: { token: string }, queueToken: string) => api('GET', '/v1/queue/status', { token: u.token, queueToken });

  it('answers a client polling 30 times a second with 429 RATE_LIMITED and Retry-After; its place and the queue stay as they were', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const [ahead, bot, behind] = await Promise.all([givenUser(), givenUser(), givenUser()]);
    const enter = (u: { token: string }) => api('POST', '/v1/queue/tokens', { token: u.token, body: { concertId } });
    await enter(ahead);
    const entered = await enter(bot);
    await enter(behind);
    expect(entered.body).toMatchObject({ status: 'WAITING', position: 2 });
    const before = (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body;

    const answers = [];
    for (let i = 0; i < 60; i++) {
      answers.push(await poll(bot, entered.body.token));
      await sleep(33);
    }
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(40);
    for (const a of limited) {
      expect(a.body.error.code).toBe('RATE_LIMITED');
      expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(answers.filter((a) => a.status !== 200 && a.status !== 429)).toEqual([]);

    const after = (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body;
    expect(after.waiting).toBe(before.waiting);
    expect(after.pollsLimited - before.pollsLimited).toBe(limited.length);
    await sleep(Number(limited.at(-1)!.headers['retry-after']) * 1000);
    expect((await poll(bot, entered.body.token)).body).toMatchObject({ status: 'WAITING', position: 2 });
  }, 30_000);

  it('never limits a client that polls as pollAfterMs says, for a minute', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const user = await givenUser();
    const entered = await api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } });
    let told = entered.body.pollAfterMs as number;
    const statuses: number[] = [];
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      await sleep(told);
      const res = await poll(user, entered.body.token);
      statuses.push(res.status);
      if (res.status !== 200) break;
      told = res.body.pollAfterMs;
    }
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 90_000);
});

describe('enter/leave cycles (RATE_LIMIT_QUEUE_CYCLES_PER_MINUTE, default 5)', () => {
  it('refuses the 6th leave within a minute with 429 and keeps the place; the ended tokens the churn leaves stay bounded', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const churner = await givenUser();
    const enter = () => api('POST', '/v1/queue/tokens', { token: churner.token, body: { concertId } });
    const leave = (queueToken: string) => api('DELETE', '/v1/queue/tokens/current', { token: churner.token, queueToken });
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const e = await enter();
      expect(e.status).toBe(201);
      expect((await leave(e.body.token)).status).toBe(200);
    }
    // The bucket refills one leave every 12 s; leaves earned meanwhile are allowed.
    const earned = Math.ceil((Date.now() - started) / 12_000);
    let last = await enter();
    let refused = await leave(last.body.token);
    for (let extra = 0; refused.status === 200 && extra < earned; extra++) {
      last = await enter();
      refused = await leave(last.body.token);
    }
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Still in the queue, same place; entering again returns it.
    const again = await enter();
    expect(again.status).toBe(200);
    expect(again.body.token).toBe(last.body.token);
    expect((await limitedFigures(concertId)).queueChurn).toBe(1);
    const ended = await app().clients.redis.hlen(queueKey(concertId, 'ended'));
    expect(ended).toBeLessThanOrEqual(5 + earned);
  }, 30_000);
});
