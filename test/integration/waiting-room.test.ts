/**
 * The waiting room's scripts against the real Redis of the test stack: the invariants
 * (FIFO, never above the maximum) under concurrency, and the timing rules (session
 * expiry, abandonment) with short settings.
 */
import { WaitingRoom } from '../../lib/queue/waiting-room';
import { parseQueueToken, queueKey } from '../../lib/queue/keys';
import { sleep, uniqueId } from '../support/api';
import type { RedisClient } from '../../lib/clients/redis';
import { connectTestRedis } from '../support/redis';

let redis: RedisClient;
let room: WaitingRoom;

beforeAll(() => {
  redis = connectTestRedis();
  room = new WaitingRoom(redis, {
    defaults: { maxActive: 0, admissionsPerSecond: 1000, activeSessionSeconds: 600, abandonAfterSeconds: 600, expectedSessionSeconds: 600 },
    endedRetentionMs: 3_600_000,
    timeoutMs: 2_000,
    // These tests poll as fast as they can to race the scripts; the poll limit is tested
    // over HTTP (test/e2e/abuse-limits.test.ts).
    pollMinFraction: 0,
  });
});
afterAll(async () => {
  await redis.quit();
});

const activeCount = (concertId: string) => redis.zcard(queueKey(concertId, 'active'));

async function enterMany(concertId: string, n: number) {
  const tickets = [];
  for (let i = 0; i < n; i++) tickets.push({ userId: `user-${i}`, ...(await room.enter(concertId, `user-${i}`)) });
  return tickets;
}

describe('admission', () => {
  it('never lets the active set exceed its maximum, whatever runs concurrently', async () => {
    const concertId = uniqueId('max');
    await room.configure(concertId, { maxActive: 0 });
    const tickets = await Promise.all(Array.from({ length: 400 }, async (_, i) => ({ userId: `u${i}`, ...(await room.enter(concertId, `u${i}`)) })));
    await room.configure(concertId, { maxActive: 50, activeSessionSeconds: 1, admissionsPerSecond: 1000 });

    let highest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        highest = Math.max(highest, await activeCount(concertId));
        await sleep(1);
      }
    })();
    // 20 concurrent admission runs, plus polls (which also admit), enters and leaves, while
    // sessions keep expiring (1 s) so slots keep freeing.
    const deadline = Date.now() + 2500;
    const workers = Array.from({ length: 20 }, async (_, w) => {
      let i = 0;
      while (Date.now() < deadline) {
        await room.admit(concertId);
        const t = tickets[(w * 37 + i++) % tickets.length]!;
        await room.status(t.token, t.userId);
        if (i % 5 === 0) await room.enter(concertId, `late-${w}-${i}`);
        if (i % 7 === 0) await room.leave(t.token, t.userId);
      }
    });
    await Promise.all(workers);
    sampling = false;
    await sampler;

    expect(highest).toBeLessThanOrEqual(50);
    expect(highest).toBe(50); // the test did fill the set, so the bound was really exercised
    expect(await activeCount(concertId)).toBeLessThanOrEqual(50);
  });

  it('admits strictly in order of arrival (FIFO), as the admissions log shows', async () => {
    const concertId = uniqueId('fifo');
    await room.configure(concertId, { maxActive: 0 });
    const tickets = await Promise.all(Array.from({ length: 300 }, (_, i) => room.enter(concertId, `u${i}`)));
    const arrival = new Map(tickets.map((t) => [parseQueueToken(t.token)!.tokenId, t.position]));

    // Open slots in uneven steps while concurrent admission runs compete.
    for (const maxActive of [7, 30, 31, 120, 300]) {
      await room.configure(concertId, { maxActive });
      await Promise.all(Array.from({ length: 10 }, () => room.admit(concertId)));
    }

    const log = (await redis.xrange(queueKey(concertId, 'admissions'), '-', '+')).map(([, fields]) => {
      const entry = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])));
      return { seq: Number(entry.seq), token: String(entry.token) };
    });
    expect(log).toHaveLength(300);
    const seqs = log.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(log.map((e) => arrival.get(e.token))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('respects the admissions-per-second budget', async () => {
    const concertId = uniqueId('rate');
    await room.configure(concertId, { maxActive: 0 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => room.enter(concertId, `u${i}`)));
    await room.configure(concertId, { maxActive: 1000, admissionsPerSecond: 10 });
    await Promise.all(Array.from({ length: 10 }, () => room.admit(concertId)));

    // Within one wall-clock second at most 10; the configure call may straddle a second boundary.
    expect(await activeCount(concertId)).toBeLessThanOrEqual(20);
    await sleep(2100);
    await room.admit(concertId);
    expect(await activeCount(concertId)).toBeGreaterThanOrEqual(20);
  });

  it('reports each new entry once to the admission runs (the QueueEntered metric), never a repeat entry', async () => {
    const concertId = uniqueId('entered');
    await room.configure(concertId, { maxActive: 0 });
    const tickets = await enterMany(concertId, 3);
    await room.enter(concertId, tickets[0]!.userId); // the same place again: not an entry
    const runs = await Promise.all(Array.from({ length: 5 }, () => room.admit(concertId)));
    expect(runs.map((r) => r.entered).sort()).toEqual([0, 0, 0, 0, 3]);
    await enterMany(concertId, 5); // user-0..2 again, plus user-3 and user-4
    expect((await room.admit(concertId)).entered).toBe(2);
    expect((await room.admit(concertId)).entered).toBe(0);
  });
});

describe('ETA prior', () => {
  // Two queues alike but for the prior (sessions of 10 min expected), whose first five
  // sessions all end at once. Where an admin set the prior it weighs as 10 sessions; where
  // the session length setting only stands in for one, as 2: the same waiting user is told
  // a wider range, since what the queue knows is mostly five sessions that ended at once.
  async function afterFiveQuickSessions(prior: { expectedSessionSeconds?: number }) {
    const concertId = uniqueId('prior');
    await room.configure(concertId, { maxActive: 0, activeSessionSeconds: 600, ...prior });
    const tickets = await enterMany(concertId, 15);
    await room.configure(concertId, { maxActive: 5 });
    // Each end admits the next in line at once.
    for (const t of tickets.slice(0, 5)) await room.finish(t.token, t.userId, 'PAID');
    const waiting = await room.status(tickets[14]!.token, tickets[14]!.userId);
    expect(waiting).toMatchObject({ status: 'WAITING', position: 5 });
    const { etaRange } = waiting as { etaRange: { low: number; high: number } };
    return etaRange.high - etaRange.low;
  }

  it('is less sure of a prior nobody set than of one an admin set', async () => {
    const set = await afterFiveQuickSessions({ expectedSessionSeconds: 600 });
    const unset = await afterFiveQuickSessions({});
    expect(unset).toBeGreaterThan(set * 1.5);
  });
});

describe('timing rules', () => {
  it('ends expired sessions and gives their slots to the next users', async () => {
    const concertId = uniqueId('exp');
    await room.configure(concertId, { maxActive: 0 });
    const tickets = await enterMany(concertId, 8);
    await room.configure(concertId, { maxActive: 5, activeSessionSeconds: 1 });
    expect(await activeCount(concertId)).toBe(5);

    await sleep(1200);
    const after = await room.admit(concertId);

    expect(after).toMatchObject({ admitted: 3, active: 3, waiting: 0 });
    const first = await room.status(tickets[0]!.token, tickets[0]!.userId);
    expect(first).toMatchObject({ status: 'EXPIRED', reason: 'SESSION_EXPIRED' });
    expect((await room.status(tickets[7]!.token, tickets[7]!.userId)).status).toBe('ACTIVE');
  });

  it('drops waiters who stop polling; everyone behind them moves up', async () => {
    const concertId = uniqueId('aband');
    await room.configure(concertId, { maxActive: 0, abandonAfterSeconds: 1 });
    const [a, b, c, d] = await enterMany(concertId, 4);

    // b and d keep polling; a and c go silent.
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      await room.status(b!.token, b!.userId);
      await room.status(d!.token, d!.userId);
    }
    const tick = await room.admit(concertId);

    expect(tick).toMatchObject({ abandoned: 2, waiting: 2 });
    expect(await room.status(b!.token, b!.userId)).toMatchObject({ status: 'WAITING', position: 1 });
    expect(await room.status(d!.token, d!.userId)).toMatchObject({ status: 'WAITING', position: 2 });
    expect(await room.status(a!.token, a!.userId)).toMatchObject({ status: 'EXPIRED', reason: 'ABANDONED' });
    expect(await room.status(c!.token, c!.userId)).toMatchObject({ status: 'EXPIRED', reason: 'ABANDONED' });
    // An abandoned user who comes back gets a new place at the back.
    const back = await room.enter(concertId, a!.userId);
    expect(back).toMatchObject({ created: true, position: 3 });
    expect(back.token).not.toBe(a!.token);
  });

  it('stretches an active session for a hold by at most one hold length; never revives or shortens one', async () => {
    const concertId = uniqueId('ext');
    await room.configure(concertId, { maxActive: 1, activeSessionSeconds: 60 });
    const t = await room.enter(concertId, 'holder');
    const until = Date.parse((t as { activeUntil: string }).activeUntil);
    const hold = 300_000;

    expect(await room.extend(t.token, until + 120_000, hold)).toBe(until + 120_000);
    expect(await room.extend(t.token, until, hold)).toBe(until + 120_000);
    // Holding again and again cannot keep the slot past admission + session + one hold.
    expect(await room.extend(t.token, until + 10 * hold, hold)).toBe(until + hold);
    await room.leave(t.token, 'holder');
    expect(await room.extend(t.token, Date.now() + 600_000, hold)).toBe(0);
  });

  it('does not admit a waiter who went silent, even before the admission run drops them', async () => {
    const concertId = uniqueId('silent');
    await room.configure(concertId, { maxActive: 0, abandonAfterSeconds: 1 });
    const [quiet, loud] = await enterMany(concertId, 2);
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      await room.status(loud!.token, loud!.userId);
    }
    await room.configure(concertId, { maxActive: 1 }); // admits at once

    expect((await room.status(loud!.token, loud!.userId)).status).toBe('ACTIVE');
    expect(await room.status(quiet!.token, quiet!.userId)).toMatchObject({ status: 'EXPIRED', reason: 'ABANDONED' });
  });
});
