/**
 * What a waiting user is told: an estimated wait with an 80% range, and when to poll
 * next. Pure functions, so the policy is unit-tested without Redis.
 *
 * The wait of a user at position P is the time until the P' users ahead of them who will
 * not leave are admitted. With people waiting every freed slot admits the next, so the
 * queue moves at maxActive / (mean session length) per second, capped by the admission
 * budget. The mean session length is estimated from this concert's sessions: the ended
 * ones (exponentially decayed over about 15 s, as sessions shorten within seconds once
 * seats run out) and the active ones, each of which will last at least as long as it has
 * run so far and, as far as is known, as long as the mean: once the running sessions have
 * outlived the estimate they count with their length so far, which keeps it from being
 * biased towards the quick ones that ended first; while they are younger they add
 * nothing (a session that has not yet had time to end says nothing about its length; a
 * memoryless model would count their age as time without an end and, at an opening, when
 * every session is young and none has ended, expect sessions far longer than they are).
 * Never above the session length setting. The ended ones are blended with a prior: the
 * concert's `expectedSessionSeconds` (an admin's, or this deployment's measured history
 * when the concert was created, history.ts, or the deployment's
 * QUEUE_EXPECTED_SESSION_SECONDS), worth PRIOR_SESSIONS sessions; with none of these the
 * session length setting stands in, an upper bound nobody measured, worth only
 * UNSET_PRIOR_SESSIONS, so the first sessions to end soon outweigh it. The measured
 * slot-release rate (rateMilli, averaged over about 5 s) is blended in with the weight of
 * the ended sessions against RATE_MODEL_SESSIONS for the model, so it takes over as they
 * accumulate. Users ahead who will leave are
 * discounted by the measured share of queue departures that were drops (left or
 * abandoned). Only as many of the rest as there are free seats, beyond those the active
 * users without a hold may still take, are expected to book (an active user holding a
 * seat has booked); the others find nothing and pass at a pace that lies somewhere
 * between that of the sessions measured so far and the admission budget (users leaving
 * at once): the budget before any session has ended, the measured pace as sessions end.
 * The range is a log-normal 80% interval from the uncertainty of the mean, the
 * randomness of P' session ends, a model error floor and, for the part of the wait spent
 * behind users who find nothing, the spread of a log-uniform pace between those two
 * bounds (not measured directly, so the range widens by what is not known: most in an
 * opening's first seconds and when the measured pace is far below the budget).
 */
import type { EtaInputs } from './replies';

/** What the concert's own prior session length is worth, in ended sessions. */
export const PRIOR_SESSIONS = 10;
/** What the session length setting is worth when it stands in for a prior nobody set. */
export const UNSET_PRIOR_SESSIONS = 2;
/** Ended sessions after which the measured slot-release rate counts as much as the model. */
export const RATE_MODEL_SESSIONS = 10;
/** Relative error of the model itself (behaviour changes during a sale), one sigma. */
export const MODEL_SIGMA = 0.12;
const Z80 = 1.2816;

export interface WaitEstimate {
  etaSeconds: number;
  /** The wait before rounding, s. */
  etaExact: number;
  etaRange: { low: number; high: number };
}

/**
 * The estimated wait at `position`, or null when nobody is being admitted (queue paused).
 * `seatsAvailable`: the concert's free seats now (null when unknown).
 */
export function estimateWait(position: number, e: EtaInputs, seatsAvailable: number | null = null): WaitEstimate | null {
  if (!(e.maxActive > 0) || !(e.admitPerSec > 0)) return null;
  const prior = (e.expectedMs > 0 ? e.expectedMs : e.activeMs) / 1000;
  if (!(prior > 0)) return null;
  const priorWeight = e.priorSet ? PRIOR_SESSIONS : UNSET_PRIOR_SESSIONS;
  const n = e.sesN + priorWeight;
  // No session lasts longer than the session length setting (the admission loop ends it, a
  // hold stretches it by at most one hold), which bounds the estimate when the prior is
  // longer than that or running sessions were stretched by holds.
  const longest = e.activeMs > 0 ? e.activeMs / 1000 : Number.POSITIVE_INFINITY;
  const endedMean = (e.sesSum + priorWeight * prior) / n;
  // Each running session lasts at least max(its age, the mean): with only the sum of their
  // ages known, they add their ages (and their number) once that sum exceeds what the
  // ended ones' mean gives them.
  const outlived = e.actN > 0 && e.actExpo > e.actN * endedMean;
  const meanSession = Math.min(longest, outlived ? (e.sesSum + e.actExpo + priorWeight * prior) / (n + e.actN) : endedMean);
  // Spread of session lengths from the ended ones; the prior's is that of an exponential (cv 1).
  const secondMoment = (e.sesSq + priorWeight * 2 * prior * prior) / n;
  const cv2 = Math.max(0.1, secondMoment / (endedMean * endedMean) - 1);

  // The queue moves as fast as slots free up. From the model: maxActive / mean session;
  // measured: the slot-release rate (an exponential average, rateMilli), which also sees
  // what the model cannot (users leaving at once when nothing is left to buy). The
  // measurement takes over as sessions end: RATE_MODEL_SESSIONS ended sessions weigh it
  // as much as the model.
  const modelled = e.maxActive / meanSession;
  const measured = e.rateMilli / 1000;
  const w = measured > 0 ? e.sesN / (e.sesN + RATE_MODEL_SESSIONS) : 0;
  const throughput = Math.min(e.admitPerSec, w * measured + (1 - w) * modelled);
  const dropShare = e.qDrop / (e.qAdm + e.qDrop + 5);
  const ahead = Math.max(1, position * (1 - dropShare));
  // Seats bound how many of them can book: each booking user takes at least one of the
  // seats free now, after the active users who hold none yet have taken theirs (a held
  // seat's holder has booked: it is no longer free, and they take no other). The users
  // ahead beyond that find nothing and leave soon, so the queue moves past them faster
  // than at the pace of sessions.
  const takers = Math.max(0, Math.min(e.maxActive, e.actN) - e.heldN);
  const bookers = seatsAvailable == null ? ahead : Math.min(ahead, Math.max(0, seatsAvailable - takers));
  // How fast they pass is not measured apart from the rest: at the admission budget
  // (leaving at once) as far as anything is known, and at the pace slots are measured to
  // free up (never slower than the model's) as sessions end, with the same weight as that.
  const slowest = Math.min(e.admitPerSec, Math.max(modelled, measured));
  const passing = Math.min(e.admitPerSec, w * slowest + (1 - w) * e.admitPerSec);
  const eta = bookers / throughput + (ahead - bookers) / passing;

  // That pace is known only to lie between the sessions' pace and the budget: the share of
  // the wait spent passing them is as uncertain as a log-uniform pace over that interval
  // (standard deviation ln(budget / slowest) / sqrt(12)).
  const passingShare = eta > 0 ? (ahead - bookers) / passing / eta : 0;
  const passingSigma = (passingShare * Math.log(e.admitPerSec / slowest)) / Math.sqrt(12);
  const sigma = Math.sqrt(MODEL_SIGMA ** 2 + cv2 / n + cv2 / ahead + passingSigma ** 2);
  return {
    etaSeconds: Math.max(1, Math.round(eta)),
    etaExact: eta,
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
/** No waiting client is told to poll sooner than this. */
export const MIN_POLL_MS = 1_000;
/** How far after the opening the pre-queue's polls are spread (a million clients must not land in the same 100 ms). */
export const OPENING_POLL_SPREAD_MS = 5_000;
/** The longest a pre-queued client is told to wait before polling again. */
export const PRE_QUEUE_MAX_POLL_MS = 10 * 60_000;

/**
 * When to poll next is decided inside the poll's own Lua script (prelude.lua,
 * poll_after()), because the poll limit must store the earliest next poll in the same
 * round trip as the answer that tells it. The policy, with the constants above (the
 * loader, scripts.ts, writes them into the script as POLL):
 *  - WAITING: the tier of the position, but never later than half the expected wait
 *    (so nobody learns of their admission long after it happened), never later than a
 *    third of the abandonment timeout (so a user who polls as told never loses the
 *    place), at most SCARCE_POLL_MS apart while the seats left are fewer than the
 *    people ahead, never sooner than MIN_POLL_MS, with +-10% jitter so a crowd that
 *    arrived together does not poll together. The expected wait per place comes from
 *    this container's latest estimate for the concert (waitMsPerPlace below; none yet
 *    on a cold container, whose first answer then uses the other bounds only).
 *  - PRE_QUEUE: long before the opening, about a minute before it (never later than
 *    PRE_QUEUE_MAX_POLL_MS); in the last two minutes, right after the opening, spread
 *    uniformly over OPENING_POLL_SPREAD_MS; while the draw is being placed (a few
 *    hundred ms), again within 0.5-1.5 s.
 */
export const POLL_SCHEDULE = {
  tierUpTo: POLL_TIERS.slice(0, -1).map((t) => t.upToPosition),
  tierMs: POLL_TIERS.map((t) => t.everyMs),
  minMs: MIN_POLL_MS,
  scarceMs: SCARCE_POLL_MS,
  openingSpreadMs: OPENING_POLL_SPREAD_MS,
  preQueueMaxMs: PRE_QUEUE_MAX_POLL_MS,
} as const;

/** The expected wait per place in the queue (ms) of an estimate at `position`: the hint the next poll's script uses. */
export function waitMsPerPlace(position: number, estimate: WaitEstimate | null): number {
  if (!estimate || !(position > 0)) return 0;
  return (estimate.etaExact * 1000) / position;
}
