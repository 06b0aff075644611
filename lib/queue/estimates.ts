/**
 * What a waiting user is told: an estimated wait and when to poll next. Pure functions,
 * so the policy is unit-tested without Redis.
 */

export interface WaitInputs {
  /** 1-based place in the queue. */
  position: number;
  /** Active slots freed per second lately (exponential average over ~30 s, see prelude.lua). */
  measuredRatePerSecond: number;
  maxActive: number;
  activeSessionSeconds: number;
  admissionsPerSecond: number;
}

/**
 * Seconds until admission, or null when nobody is being admitted (queue paused).
 * Uses the measured rate at which slots free up (with people waiting, each freed slot
 * admits the next); when that is lower than what the settings guarantee over time
 * (every active session ends within activeSessionSeconds, so at least maxActive /
 * activeSessionSeconds slots free per second), the guaranteed rate is used. Never more
 * than the admission budget.
 */
export function estimateWait(i: WaitInputs): number | null {
  const guaranteed = i.activeSessionSeconds > 0 ? i.maxActive / i.activeSessionSeconds : 0;
  const rate = Math.min(i.admissionsPerSecond, Math.max(i.measuredRatePerSecond, guaranteed));
  if (!(rate > 0)) return null;
  return Math.ceil(i.position / rate);
}

/** Poll tiers: the front of the queue polls every second, the back rarely. */
export const POLL_TIERS: readonly { upToPosition: number; everyMs: number }[] = [
  { upToPosition: 100, everyMs: 1_000 },
  { upToPosition: 1_000, everyMs: 10_000 },
  { upToPosition: Number.POSITIVE_INFINITY, everyMs: 60_000 },
];

/**
 * When to poll next: the tier of the position, but never later than half the expected
 * wait (so nobody learns of their admission long after it happened), never later than a
 * third of the abandonment timeout (so a user who polls as told never loses the place),
 * never sooner than one second, with +-10% jitter so a crowd that arrived together does
 * not poll together.
 */
export function pollAfterMs(position: number, etaSeconds: number | null, abandonMs: number, random: () => number = Math.random): number {
  const tier = POLL_TIERS.find((t) => position <= t.upToPosition)!.everyMs;
  const byEta = etaSeconds === null ? tier : (etaSeconds * 1000) / 2;
  const base = Math.max(1_000, Math.min(tier, byEta, abandonMs / 3));
  return Math.round(base * (0.9 + 0.2 * random()));
}
