/**
 * When a waiting or pre-queued client is told to poll next, and the poll limit that
 * follows from it, as the real scripts do it on the test stack's Redis:
 *  - the schedule (poll_after() in prelude.lua, policy beside POLL_SCHEDULE in
 *    lib/queue/estimates.ts), called directly through the prelude;
 *  - the limit: the earliest next poll is stored by the same script run that tells the
 *    client pollAfterMs, so a poll costs exactly one Redis command, limit included, and a
 *    poll after half of pollAfterMs is never refused while one before it is.
 */
import Redis from 'ioredis';
import { WaitingRoom } from '../../lib/queue/waiting-room';
import { parseQueueToken, queueKey, queueKeys } from '../../lib/queue/keys';
import { COMMON_ARGS, withPrelude } from '../../lib/queue/scripts';
import { OPENING_POLL_SPREAD_MS, SCARCE_POLL_MS } from '../../lib/queue/estimates';
import { TooManyRequestsError } from '../../lib/errors';
import { sleep, uniqueId } from '../support/api';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(() => redis.quit());

interface Waiting {
  position: number;
  seatsAvailable?: number;
  abandonMs?: number;
  /** Expected wait per place (ms), the caller's hint; 0 = none. */
  perPlace?: number;
  random?: number;
}

const POLL_AFTER = withPrelude(
  'local t = cjson.decode(ARGV[#ARGV - 1]); local o = cjson.decode(ARGV[#ARGV]); return poll_after(t, { abandonMs = o.abandonMs }, o.random, o.perPlace)',
  [],
);

async function pollAfter(t: Record<string, unknown>, o: { abandonMs?: number; random?: number; perPlace?: number }): Promise<number> {
  const keys = queueKeys('poll-schedule-test');
  const common = COMMON_ARGS.map(() => '0');
  const opts = { abandonMs: o.abandonMs ?? 180_000, random: o.random ?? 0.5, perPlace: o.perPlace ?? 0 };
  return Number(await redis.eval(POLL_AFTER, keys.length, ...keys, ...common, JSON.stringify(t), JSON.stringify(opts)));
}

const waiting = (w: Waiting) =>
  pollAfter({ status: 'WAITING', position: w.position, seatsAvailable: w.seatsAvailable ?? -1 }, { abandonMs: w.abandonMs, random: w.random, perPlace: w.perPlace });
const preQueued = (msUntilOpening: number, drawing: boolean, random = 0.5) =>
  pollAfter({ status: 'PRE_QUEUE', opensAt: 1_000_000 + msUntilOpening, now: 1_000_000, drawing: drawing ? 1 : 0 }, { random });

describe('poll schedule of a waiting client', () => {
  it('polls every second near the front, rarely at the back', async () => {
    expect(await waiting({ position: 1 })).toBe(1_000);
    expect(await waiting({ position: 500 })).toBe(10_000);
    expect(await waiting({ position: 50_000 })).toBe(60_000);
  });
  it('never waits longer than half the expected wait (from the hint of wait per place)', async () => {
    expect(await waiting({ position: 50_000, perPlace: 30_000 / 50_000 })).toBe(15_000); // 30 s expected
    expect(await waiting({ position: 500, perPlace: 2 })).toBe(1_000); // 1 s expected: the floor
  });
  it('never waits long enough to be taken for abandoned, even with jitter', async () => {
    expect(await waiting({ position: 50_000, abandonMs: 30_000, random: 0.9999 })).toBeLessThan(30_000 / 2);
    expect(await waiting({ position: 50_000, abandonMs: 6_000 })).toBe(2_000);
  });
  it('spreads a crowd by +-10%', async () => {
    expect(await waiting({ position: 50_000, random: 0 })).toBe(54_000);
    expect(await waiting({ position: 50_000, random: 1 })).toBe(66_000);
  });
  it('polls at least every SCARCE_POLL_MS while fewer seats are free than people ahead', async () => {
    expect(await waiting({ position: 50_000, seatsAvailable: 10 })).toBe(SCARCE_POLL_MS);
    expect(await waiting({ position: 50_000, seatsAvailable: 100_000 })).toBe(60_000);
  });
});

describe('poll schedule of a pre-queued client', () => {
  it('polls right after the opening, spread over a few seconds', async () => {
    expect(await preQueued(30_000, false, 0)).toBeGreaterThan(30_000);
    expect(await preQueued(30_000, false, 0.9999)).toBeLessThanOrEqual(30_000 + 100 + OPENING_POLL_SPREAD_MS);
  });
  it('does not poll for nothing long before the opening', async () => {
    const after = await preQueued(3_600_000, false);
    expect(after).toBeGreaterThan(60_000);
    expect(after).toBeLessThanOrEqual(3_600_000 - 60_000);
  });
  it('polls again within a couple of seconds while the draw is being placed', async () => {
    expect(await preQueued(-10, true, 0.9999)).toBeLessThanOrEqual(1_500);
  });
});

describe('the poll limit, in the poll itself', () => {
  let counted: Redis;
  let commands = 0;
  let room: WaitingRoom;
  beforeAll(() => {
    counted = new Redis(process.env.REDIS_URL!);
    const target = counted as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const send = target.sendCommand.bind(counted);
    target.sendCommand = (...args: unknown[]) => {
      commands++;
      return send(...args);
    };
    room = new WaitingRoom(counted, {
      // Paused (nobody admitted) and a silent waiter dropped after 3 s: everyone is told about 1 s.
      defaults: { maxActive: 0, admissionsPerSecond: 100, activeSessionSeconds: 600, abandonAfterSeconds: 3, expectedSessionSeconds: 60 },
      endedRetentionMs: 60_000,
      timeoutMs: 2_000,
      pollMinFraction: 0.5,
    });
  });
  afterAll(() => counted.quit());

  it('stores the earliest next poll (half of what it told) in the same single command as the answer', async () => {
    const concertId = uniqueId('poll');
    const entered = await room.enter(concertId, 'u1');
    await sleep(entered.pollAfterMs! / 2 + 20);
    const before = commands;
    const t0 = Date.now();
    const st = await room.status(entered.token, 'u1');
    const t1 = Date.now();
    expect(commands - before).toBe(1); // EVALSHA of status.lua, nothing else
    expect(st.status).toBe('WAITING');
    const earliest = Number(await redis.hget(queueKey(concertId, 'polls'), parseQueueToken(entered.token)!.tokenId));
    // Redis time of the answer + floor(pollAfterMs / 2), within the call's own duration.
    expect(earliest).toBeGreaterThanOrEqual(t0 - 50 + Math.floor(st.pollAfterMs! / 2));
    expect(earliest).toBeLessThanOrEqual(t1 + 50 + Math.floor(st.pollAfterMs! / 2));
  });

  it('refuses a poll before half of pollAfterMs (429, place kept) and never one that waited as told', async () => {
    const concertId = uniqueId('poll');
    const a = await room.enter(concertId, 'ua');
    await room.enter(concertId, 'ub');
    const tooSoon = await room.status(a.token, 'ua').catch((e: unknown) => e);
    expect(tooSoon).toBeInstanceOf(TooManyRequestsError);
    expect((tooSoon as TooManyRequestsError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    let told = a.pollAfterMs!;
    for (let i = 0; i < 5; i++) {
      await sleep(told / 2 + 30);
      const st = await room.status(a.token, 'ua');
      expect([st.status, st.position]).toEqual(['WAITING', 1]);
      told = st.pollAfterMs!;
    }
    expect((await room.figures(concertId)).pollsLimited).toBe(1);
  });
});
