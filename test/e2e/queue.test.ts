/**
 * The waiting room over HTTP, through serverless-offline, against the real Redis and
 * DynamoDB Local of the test stack.
 */
import { api, asAdmin, devToken, enterAndWaitActive, givenConcert, givenUser, pollNow, sleep, uniqueId, type User } from '../support/api';
import { mintToken } from '../support/tokens';

const enter = (user: User, concertId: string) => api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } });
/** A poll that wants the answer now (waits out the poll limit once if needed). */
const status = (user: User, queueToken: string) => pollNow(user, queueToken);
const figures = async (concertId: string) => (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body;

describe('entering the queue', () => {
  it('gives 2,000 concurrent arrivals the positions 1..2000, each exactly once', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } }); // paused: nobody is admitted
    const users = await Promise.all(
      Array.from({ length: 2000 }, async (_, i) => {
        const userId = `fifo-${concertId}-${i}`;
        return { userId, token: await mintToken(userId) };
      }),
    );

    const responses = await Promise.all(users.map((u) => enter(u, concertId)));

    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const positions = responses.map((r) => r.body.position).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(new Set(responses.map((r) => r.body.token)).size).toBe(2000);
    expect(responses.every((r) => r.body.status === 'WAITING' && r.body.concertId === concertId)).toBe(true);
    expect((await figures(concertId)).waiting).toBe(2000);
  });

  it('returns the same token and place when a user enters again', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const [first, other] = [await givenUser(), await givenUser()];
    const a = await enter(first, concertId);
    await enter(other, concertId);
    const again = await enter(first, concertId);

    expect(a.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.token).toBe(a.body.token);
    expect(again.body.position).toBe(1);
    expect((await figures(concertId)).waiting).toBe(2);
  });

  it('hands out opaque, unguessable tokens', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const res = await enter(await givenUser(), concertId);
    const secret = res.body.token.split('.').pop();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
  });

  it('admits at once when a slot is free, and tells waiting users an ETA and when to poll', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 1, admissionsPerSecond: 10, activeSessionSeconds: 600 } });
    const a = await enter(await givenUser(), concertId);
    const b = await enter(await givenUser(), concertId);

    expect(a.body.status).toBe('ACTIVE');
    expect(Date.parse(a.body.activeUntil)).toBeGreaterThan(Date.now() + 590_000);
    expect(b.body).toMatchObject({ status: 'WAITING', position: 1 });
    // Nobody has left yet: the guaranteed rate is 1 slot per 600 s.
    expect(b.body.etaSeconds).toBeGreaterThan(0);
    expect(b.body.pollAfterMs).toBeGreaterThanOrEqual(900);
    expect(b.body.pollAfterMs).toBeLessThanOrEqual(1100);
  });

  it('rejects unknown concerts and bad input with 4xx, and changes nothing', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const user = await givenUser();
    const before = await figures(concertId);

    const cases = await Promise.all([
      api('POST', '/v1/queue/tokens', { token: user.token, body: '{"concertId": ' }),
      api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId, extra: 1 } }),
      api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId: 42 } }),
      api('POST', '/v1/queue/tokens', { token: user.token, body: {} }),
      api('POST', '/v1/queue/tokens', { token: user.token }),
      api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId: 'Not A Slug!' } }),
      api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId: 'no-such-concert' } }),
      api('POST', '/v1/queue/tokens', { body: { concertId } }),
      api('POST', '/v1/queue/tokens', { token: 'not-a-jwt', body: { concertId } }),
    ]);

    expect(cases.map((c) => [c.status, c.body?.error?.code])).toEqual([
      [400, 'INVALID_JSON'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
      [404, 'CONCERT_NOT_FOUND'],
      [401, 'UNAUTHENTICATED'],
      [401, 'INVALID_TOKEN'],
    ]);
    for (const c of cases) expect(typeof c.body.error.message).toBe('string');
    expect(await figures(concertId)).toMatchObject({ waiting: before.waiting, ticketsIssued: before.ticketsIssued });

    // Refusals and answers alike carry the security headers and are never cached.
    const entered = await api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } });
    expect(entered.status).toBe(201);
    for (const c of [...cases, entered, await pollNow(user, entered.body.token)]) {
      expect(c.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
        'referrer-policy': 'no-referrer',
      });
    }
  });
});

describe('polling and leaving', () => {
  it('refills a freed slot at once when the active user leaves', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 1 } });
    const [a, b] = [await givenUser(), await givenUser()];
    const ta = (await enter(a, concertId)).body.token;
    const tb = (await enter(b, concertId)).body.token;
    expect((await status(b, tb)).body.status).toBe('WAITING');

    const left = await api('DELETE', '/v1/queue/tokens/current', { token: a.token, queueToken: ta });

    expect(left.status).toBe(200);
    expect((await status(b, tb)).body.status).toBe('ACTIVE');
    expect((await status(a, ta)).body).toMatchObject({ status: 'EXPIRED', reason: 'LEFT' });
  });

  it("does not let a user poll or spend another user's token", async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const [owner, thief] = [await givenUser(), await givenUser()];
    const token = (await enter(owner, concertId)).body.token;

    const polled = await status(thief, token);
    const left = await api('DELETE', '/v1/queue/tokens/current', { token: thief.token, queueToken: token });

    expect([polled.status, polled.body.error.code]).toEqual([403, 'QUEUE_TOKEN_FOREIGN']);
    expect([left.status, left.body.error.code]).toEqual([403, 'QUEUE_TOKEN_FOREIGN']);
    expect((await status(owner, token)).body).toMatchObject({ status: 'WAITING', position: 1 });
  });

  it('runs end to end: dev token, enter, poll, admitted, then a gated endpoint answers', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0 } });
    const user = { userId: uniqueId('e2e'), token: '' };
    user.token = await devToken(user.userId);
    const entered = await enter(user, concertId);
    expect(entered.body.status).toBe('WAITING');

    // The operator opens the doors while the user polls.
    const opened = api('PATCH', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin(), body: { maxActive: 5 } });
    const queueToken = await enterAndWaitActive(user, concertId, 10_000);
    expect((await opened).status).toBe(200);

    const dates = await api('GET', `/v1/concerts/${concertId}/dates`, { token: user.token, queueToken });
    expect(dates.status).toBe(200);
    expect(dates.body.dates[0]).toMatchObject({ totalSeats: 50, availableSeats: 50 });
  });
});

describe('the queue gate of the booking endpoints', () => {
  it('rejects a missing, malformed, foreign, waiting, expired or other-concert token', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 1 } });
    const { concertId: otherConcert } = await givenConcert({ queue: { maxActive: 5 } });
    const [active, waiting, stranger] = [await givenUser(), await givenUser(), await givenUser()];
    const activeToken = await enterAndWaitActive(active, concertId);
    const waitingToken = (await enter(waiting, concertId)).body.token;
    const otherConcertToken = await enterAndWaitActive(stranger, otherConcert);
    const leaver = await givenUser();
    const leaverToken = await enterAndWaitActive(leaver, otherConcert);
    await api('DELETE', '/v1/queue/tokens/current', { token: leaver.token, queueToken: leaverToken });

    const dates = (user: User, queueToken?: string) => api('GET', `/v1/concerts/${concertId}/dates`, { token: user.token, queueToken });
    const otherDates = (user: User, queueToken?: string) => api('GET', `/v1/concerts/${otherConcert}/dates`, { token: user.token, queueToken });
    const outcomes = await Promise.all([
      dates(active),
      dates(active, 'garbage'),
      dates(stranger, activeToken),
      dates(waiting, waitingToken),
      otherDates(leaver, leaverToken),
      dates(stranger, otherConcertToken),
      dates(active, activeToken),
    ]);

    expect(outcomes.map((o) => [o.status, o.body?.error?.code])).toEqual([
      [401, 'QUEUE_TOKEN_MISSING'],
      [401, 'QUEUE_TOKEN_INVALID'],
      [403, 'QUEUE_TOKEN_FOREIGN'],
      [403, 'QUEUE_TOKEN_NOT_ACTIVE'],
      [401, 'QUEUE_TOKEN_EXPIRED'],
      [403, 'QUEUE_TOKEN_WRONG_CONCERT'],
      [200, undefined],
    ]);
  });
});

describe('operating the queue', () => {
  it('lets an admin read live figures and change settings while the queue runs', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 0, admissionsPerSecond: 100 } });
    const users = await Promise.all([givenUser(), givenUser(), givenUser()]);
    const tokens = [];
    for (const u of users) tokens.push((await enter(u, concertId)).body.token);
    expect(await figures(concertId)).toMatchObject({ waiting: 3, active: 0, admittedLastMinute: 0 });

    const changed = await api('PATCH', `/v1/admin/concerts/${concertId}/queue`, {
      token: await asAdmin(),
      body: { maxActive: 2, activeSessionSeconds: 120 },
    });

    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ waiting: 1, active: 2, admittedLastMinute: 2, settings: { maxActive: 2, activeSessionSeconds: 120 } });
    expect((await status(users[0]!, tokens[0])).body.status).toBe('ACTIVE');
    expect((await status(users[2]!, tokens[2])).body).toMatchObject({ status: 'WAITING', position: 1 });
  });

  it('keeps admin endpoints for admins and rejects bad settings', async () => {
    const { concertId } = await givenConcert();
    const user = await givenUser();
    const asUser = await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: user.token });
    // Again with the token the service now knows (found without verifying it again).
    const asKnownUser = await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: user.token });
    const bad = await api('PATCH', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin(), body: { maxActive: -1 } });
    const unknown = await api('PATCH', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin(), body: { maxActiv: 3 } });

    for (const refused of [asUser, asKnownUser]) {
      expect([refused.status, refused.body.error.code]).toEqual([403, 'ADMIN_ONLY']);
      expect(refused.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    }
    expect([bad.status, unknown.status]).toEqual([400, 400]);
    expect((await figures(concertId)).settings.maxActive).toBe(1000);
  });

  it('admits the next user within about a second of a session expiring, without any client action', async () => {
    const { concertId } = await givenConcert({ queue: { maxActive: 1, activeSessionSeconds: 10 } });
    const [a, b] = [await givenUser(), await givenUser()];
    await enter(a, concertId);
    await enter(b, concertId);
    expect(await figures(concertId)).toMatchObject({ active: 1, waiting: 1 });

    // Nobody polls: only the scheduled admission loop can notice the expiry.
    await sleep(11_500);
    expect(await figures(concertId)).toMatchObject({ active: 1, waiting: 0 });
  });
});
