/**
 * What a waiting user is told: an estimated wait with an 80% range, and when to poll
 * next. Pure functions, so the policy is unit-tested without Redis.
 *
 * The wait of a user at position P is the time until the P' users ahead of them who will
 * not leave are admitted. With people waiting every freed slot admits the next, so the
 * queue moves at maxActive / (mean session length) per second, capped by the admission
 * budget. The mean session length is estimated from this concert's sessions: the ended
 * ones (exponentially decayed over about a minute) plus the time the active ones have
 * run so far (each still-running session counts with its length so far, which keeps
 * the estimate from being biased towards the quick ones in the first minute of an
 * opening), blended with a prior worth PRIOR_SESSIONS sessions: the concert's
 * `expectedSessionSeconds`, which defaults to this deployment's measured history
 * (history.ts) or, with none, the session length setting. Users ahead who will leave are
 * discounted by the measured share of queue departures that were drops (left or
 * abandoned). The range is a log-normal 80% interval from the uncertainty of the mean,
 * the randomness of P' session ends and a model error floor.
 */
import type { EtaInputs } from './replies';

export const PRIOR_SESSIONS = 10;
/** Relative error of the model itself (behaviour changes during a sale), one sigma. */
export const MODEL_SIGMA = 0.12;
const Z80 = 1.2816;

export interface WaitEstimate {
  etaSeconds: number;
  etaRange: { low: number; high: number };
}

/** The estimated wait at `position`, or null when nobody is being admitted (queue paused). */
export function estimateWait(position: number, e: EtaInputs): WaitEstimate | null {
  if (!(e.maxActive > 0) || !(e.admitPerSec > 0)) return null;
  const prior = (e.expectedMs > 0 ? e.expectedMs : e.activeMs) / 1000;
  if (!(prior > 0)) return null;
  const n = e.sesN + PRIOR_SESSIONS;
  const meanSession = (e.sesSum + e.actExpo + PRIOR_SESSIONS * prior) / n;
  // Spread of session lengths from the ended ones; the prior's is that of an exponential (cv 1).
  const endedMean = (e.sesSum + PRIOR_SESSIONS * prior) / n;
  const secondMoment = (e.sesSq + PRIOR_SESSIONS * 2 * prior * prior) / n;
  const cv2 = Math.max(0.1, secondMoment / (endedMean * endedMean) - 1);

  const throughput = Math.min(e.admitPerSec, e.maxActive / meanSession);
  const dropShare = e.qDrop / (e.qAdm + e.qDrop + 5);
  const ahead = Math.max(1, position * (1 - dropShare));
  const eta = ahead / throughput;

  const sigma = Math.sqrt(MODEL_SIGMA ** 2 + cv2 / n + cv2 / ahead);
  return {
    etaSeconds: Math.max(1, Math.round(eta)),
    etaRange: { low: Math.max(0, Math.floor(eta * Math.exp(-Z80 * sigma))), high: Math.max(1, Math.ceil(eta * Math.exp(Z80 * sigma))) },
  };
}

/** Poll tiers: the front of the queue polls every second, the back rarely. */
export const POLL_TIERS: readonly { upToPosition: number; everyMs: number }[] = [
  { upToPosition: 100, everyMs: 1_000 },
  { upToPosition: 1_000, everyMs: 10_000 },
  { upToPosition: Number.POSITIVE_INFINITY, everyMs: 60_000 },
];

/** While fewer seats are free than people ahead, polls come at least this often (SOLD_OUT is told soon). */
export const SCARCE_POLL_MS = 15_000;

/**
 * When to poll next: the tier of the position, but never later than half the expected
 * wait (so nobody learns of their admission long after it happened), never later than a
 * third of the abandonment timeout (so a user who polls as told never loses the place),
 * at most SCARCE_POLL_MS apart while the seats left are fewer than the people ahead,
 * never sooner than one second, with +-10% jitter so a crowd that arrived together does
 * not poll together.
 */
export function pollAfterMs(
  position: number,
  etaSeconds: number | null,
  abandonMs: number,
  random: () => number = Math.random,
  seatsAvailable: number | null = null,
): number {
  const tier = POLL_TIERS.find((t) => position <= t.upToPosition)!.everyMs;
  const byEta = etaSeconds === null ? tier : (etaSeconds * 1000) / 2;
  const scarce = seatsAvailable !== null && seatsAvailable < position ? SCARCE_POLL_MS : Number.POSITIVE_INFINITY;
  const base = Math.max(1_000, Math.min(tier, byEta, abandonMs / 3, scarce));
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** How far after the opening the pre-queue's polls are spread (a million clients must not land in the same 100 ms). */
export const OPENING_POLL_SPREAD_MS = 5_000;
/** The longest a pre-queued client is told to wait before polling again. */
export const PRE_QUEUE_MAX_POLL_MS = 10 * 60_000;

/**
 * When a pre-queued client polls next: long before the opening, about a minute before it
 * (never later than PRE_QUEUE_MAX_POLL_MS); in the last two minutes, right after the
 * opening, spread uniformly over OPENING_POLL_SPREAD_MS. While the draw is being placed
 * (a few hundred ms), again within a second or two.
 */
export function preQueuePollAfterMs(msUntilOpening: number, drawing: boolean, random: () => number = Math.random): number {
  if (drawing || msUntilOpening <= 0) return Math.round(500 + 1_000 * random());
  if (msUntilOpening > 120_000) return Math.round(Math.min(msUntilOpening - 60_000, PRE_QUEUE_MAX_POLL_MS) * (0.9 + 0.1 * random()));
  return Math.round(msUntilOpening + 100 + OPENING_POLL_SPREAD_MS * random());
}
