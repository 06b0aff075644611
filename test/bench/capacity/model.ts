/**
 * The capacity model's crowd half: from a crowd (users, arrival curve, pre-queue share,
 * behaviour once admitted) and a sale's settings (queue settings, seats, hold length) to
 * requests per second by endpoint, admissions, waiting and active users over time. A
 * calculation, not a second simulator of users: the crowd is a fluid in the queue's
 * order (slices of at most `maxBins` ranges of ticket numbers), stepped in time.
 *
 * What it takes from the product, by import, never by copy:
 *  - the poll schedule: POLL_TIERS, MIN_POLL_MS, SCARCE_POLL_MS, OPENING_POLL_SPREAD_MS,
 *    PRE_QUEUE_MAX_POLL_MS and the rule described beside POLL_SCHEDULE
 *    (lib/queue/estimates.ts; the rule itself runs in Lua, prelude.lua poll_after(), and
 *    is restated in waitingPollMs() below);
 *  - the ETA (estimateWait), fed with the statistics the scripts keep (decayed session
 *    lengths, admitted/dropped counts, the slot-release rate), because the poll schedule
 *    tells a waiter to poll again within half their expected wait.
 * Two figures of prelude.lua's pre-queue rule are not exported constants and are restated
 * here: a pre-queued client more than 2 minutes before the opening polls about a minute
 * before it (PRE_QUEUE_FAR_MS, PRE_QUEUE_LEAD_MS).
 *
 * Known simplifications (docs/capacity.md): the draw completes at the opening (it takes a
 * few script runs of 2,000 entries); every script run admits, so admission is continuous;
 * a waiter who gives up is dropped once silent for the abandonment timeout and takes a
 * slot if admitted before that; think time is its mean; hold races are estimated from the
 * hold rate and the seat listing's cache age, not played out seat by seat.
 */
import { estimateWait, MIN_POLL_MS, OPENING_POLL_SPREAD_MS, POLL_TIERS, PRE_QUEUE_MAX_POLL_MS, SCARCE_POLL_MS } from '../../../lib/queue/estimates';
import type { EtaInputs } from '../../../lib/queue/replies';

/** The routes a crowd calls, as their handlers declare them (route.endpoint). */
export const ENDPOINTS = {
  enter: 'POST /v1/queue/tokens',
  status: 'GET /v1/queue/status',
  leave: 'DELETE /v1/queue/tokens/current',
  dates: 'GET /v1/concerts/{concertId}/dates',
  seats: 'GET /v1/concerts/{concertId}/dates/{date}/seats',
  hold: 'POST /v1/reservations',
  release: 'DELETE /v1/reservations/{reservationId}',
  balance: 'GET /v1/balance',
  charge: 'POST /v1/balance/charges',
  pay: 'POST /v1/payments',
} as const;
export type Endpoint = keyof typeof ENDPOINTS;
const ENDPOINT_KEYS = Object.keys(ENDPOINTS) as Endpoint[];

/** prelude.lua poll_after(): further than this before the opening, a pre-queued client polls PRE_QUEUE_LEAD_MS before it. */
const PRE_QUEUE_FAR_MS = 120_000;
const PRE_QUEUE_LEAD_MS = 60_000;
/** prelude.lua: time constants of the ETA's statistics and of the slot-release rate. */
const STATS_TAU_S = 60;
const SESSION_TAU_S = 15;
const RATE_TAU_S = 5;

export interface SaleSettings {
  maxActive: number;
  admissionsPerSecond: number;
  activeSessionSeconds: number;
  abandonAfterSeconds: number;
  /** The ETA's prior (default: the session length setting, as for a deployment without history). */
  expectedSessionSeconds?: number;
  holdSeconds: number;
  totalSeats: number;
  /** Dates the seats are spread over (a user looks at one date's seat map). */
  dates: number;
  /** SEAT_LISTING_CACHE_MS: how stale a seat map may be (hold races). */
  seatListingCacheMs: number;
}

/** What admitted users do (the shares are of those reaching the step). */
export interface Behaviour {
  /** Mean time between two steps of an admitted user (reading, choosing), s. */
  thinkSeconds: number;
  /** Time a request takes, s (adds to every step). */
  requestSeconds: number;
  giveUpShare: number;
  giveUpWithinSeconds: number;
  leaveShare: number;
  holdAttempts: number;
  releaseShare: number;
  walkAwayShare: number;
  /** Share of payers who top up before paying. */
  topUpShare: number;
}

export interface Crowd {
  users: number;
  /** Arrivals after the opening spread over this long. */
  arrivalSeconds: number;
  /** uniform, or front-loaded (density falling linearly to zero: half arrive in the first 29%). */
  arrivalShape: 'uniform' | 'front';
  preQueueShare: number;
  /** The pre-queued arrive uniformly over the first 90% of this window before the opening. */
  preQueueSeconds: number;
  behaviour: Behaviour;
}

export interface ModelOptions {
  /** Time step, s (default: a fifth of the think time, at most 0.25). */
  stepSeconds?: number;
  /** Stop modelling this long after the opening, s. */
  maxSeconds?: number;
  /** Slices of the queue order (more: finer positions, slower). */
  maxBins?: number;
}

export interface SecondRow {
  /** Seconds since the opening (start of this second). */
  t: number;
  requests: Record<Endpoint, number>;
  /** Of the entries, those refused at once (409 SOLD_OUT: the catalog says so; no Redis). */
  refusedEntries: number;
  admitted: number;
  /** At the end of the second. */
  waiting: number;
  active: number;
  seatsFree: number;
  sold: number;
}

export interface Prediction {
  crowd: Crowd;
  sale: SaleSettings;
  stepSeconds: number;
  bins: number;
  timeline: SecondRow[];
  totals: {
    requests: Record<Endpoint, number>;
    allRequests: number;
    admissions: number;
    /** Admitted users who had given up (took a slot, never came). */
    ghostAdmissions: number;
    soldOutAtSeconds: number | null;
    toldSoldOut: number;
    refusedAtEntry: number;
    paid: number;
    holds: number;
    /** When the model stopped, s since the opening. */
    endSeconds: number;
  };
  peaks: { requestsPerSecond: number; byEndpoint: Record<Endpoint, number>; waiting: number; active: number };
}

interface WaitEntry {
  kind: 'enter' | 'poll';
  /** Ticket-number range [lo, hi): one user per unit. */
  lo: number;
  hi: number;
  mass: number;
  /** When these users started waiting with a position (give-ups are counted from here). */
  start: number;
  lastPoll: number | null;
}

type Stage = 'dates' | 'attempt' | 'afterHold' | 'pay';
interface StageEntry {
  stage: Stage;
  mass: number;
  admittedAt: number;
  attempt: number;
  heldAt: number;
}

const zeros = (): Record<Endpoint, number> => Object.fromEntries(ENDPOINT_KEYS.map((k) => [k, 0])) as Record<Endpoint, number>;
const clip01 = (x: number) => Math.min(1, Math.max(0, x));
const GOLDEN = 0.6180339887498949;
const frac = (x: number) => x - Math.floor(x);

/**
 * pollAfterMs of a WAITING answer before jitter (prelude.lua poll_after(), the rule beside
 * POLL_SCHEDULE): the position's tier, at most a third of the abandonment timeout and half
 * the expected wait, at most SCARCE_POLL_MS while seats are fewer than the people ahead,
 * never below MIN_POLL_MS. `seatsAvailable` < 0: unknown.
 */
export function waitingPollMs(position: number, abandonMs: number, waitMsPerPlace: number, seatsAvailable: number): number {
  let tier = POLL_TIERS[POLL_TIERS.length - 1]!.everyMs;
  for (const t of POLL_TIERS) {
    if (position <= t.upToPosition) {
      tier = t.everyMs;
      break;
    }
  }
  let base = Math.min(tier, abandonMs / 3);
  if (waitMsPerPlace > 0) base = Math.min(base, (position * waitMsPerPlace) / 2);
  if (seatsAvailable >= 0 && seatsAvailable < position) base = Math.min(base, SCARCE_POLL_MS);
  return Math.max(MIN_POLL_MS, base);
}

/** The times (s, relative to the opening) of a pre-queued client's polls before the opening, from its entry at `enteredAt` (< 0). */
export function preQueuePollTimes(enteredAt: number): number[] {
  const times: number[] = [];
  let t = enteredAt;
  // Jitter: x (0.9 + 0.1 r), mean 0.95.
  while (-t * 1000 > PRE_QUEUE_FAR_MS) {
    t += (Math.min(-t * 1000 - PRE_QUEUE_LEAD_MS, PRE_QUEUE_MAX_POLL_MS) * 0.95) / 1000;
    if (-t * 1000 > 0) times.push(t);
  }
  return times;
}

/** Share of the post-opening arrivals in by `x` seconds. */
function arrivalCdf(crowd: Crowd, x: number): number {
  const A = crowd.arrivalSeconds;
  if (A <= 0) return x >= 0 ? 1 : 0;
  const u = clip01(x / A);
  return crowd.arrivalShape === 'front' ? 2 * u - u * u : u;
}

/** Arrival time of the post-opening arrival at quantile q. */
function arrivalAt(crowd: Crowd, q: number): number {
  const A = crowd.arrivalSeconds;
  const u = clip01(q);
  return (crowd.arrivalShape === 'front' ? 1 - Math.sqrt(1 - u) : u) * A;
}

export function predictOpening(crowd: Crowd, sale: SaleSettings, options: ModelOptions = {}): Prediction {
  const b = crowd.behaviour;
  const dt = options.stepSeconds ?? Math.min(0.25, b.thinkSeconds / 5);
  const maxSeconds = options.maxSeconds ?? 3600;
  const N = crowd.users;
  const nPre = Math.round(N * crowd.preQueueShare);
  const nPost = N - nPre;
  const width = Math.max(1, Math.ceil(N / (options.maxBins ?? 20_000)));
  const t0 = nPre > 0 ? -crowd.preQueueSeconds : 0;
  const abandonMs = sale.abandonAfterSeconds * 1000;
  const session = sale.activeSessionSeconds;
  const prior = sale.expectedSessionSeconds ?? session;
  const step = (t: number) => Math.round((t - t0) / dt);
  const timeOf = (k: number) => t0 + k * dt;

  // Calendars, by step.
  const waits = new Map<number, WaitEntry[]>();
  const stages = new Map<number, StageEntry[]>();
  const releases = new Map<number, { mass: number; admittedSum: number }>();
  const seatReturns = new Map<number, number>();
  const prePolls = new Map<number, number>();
  const push = <T>(cal: Map<number, T[]>, k: number, e: T) => {
    const list = cal.get(k);
    if (list) list.push(e);
    else cal.set(k, [e]);
  };
  let pendingWaits = 0;
  let pendingStages = 0;

  // The queue.
  let head = 0; // every ticket number below is admitted or dropped
  let nextSeq = nPre; // the pre-queue takes 0..nPre at the draw
  const headTimes: number[] = [];
  const headSeqs: number[] = [];
  const admittedAtSeq = (seq: number, now: number) => {
    let lo = 0;
    let hi = headSeqs.length - 1;
    if (hi < 0 || headSeqs[hi]! < seq) return now;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (headSeqs[mid]! >= seq) hi = mid;
      else lo = mid + 1;
    }
    return headTimes[lo]!;
  };
  /** When the user with ticket `seq` started waiting with a position. */
  const waitingSince = (seq: number) => (seq < nPre ? OPENING_POLL_SPREAD_MS / 2000 : arrivalAt(crowd, (seq - nPre) / Math.max(1, nPost)));
  const givenUp = (seq: number, now: number) => b.giveUpShare * clip01((now - waitingSince(seq)) / b.giveUpWithinSeconds);
  const dropped = (seq: number, now: number) => b.giveUpShare * clip01((now - sale.abandonAfterSeconds - waitingSince(seq)) / b.giveUpWithinSeconds);

  // The active set and the ETA's statistics (prelude.lua).
  let active = 0;
  let activeAdmittedSum = 0;
  let sesN = 0;
  let sesSum = 0;
  let sesSq = 0;
  let qAdm = 0;
  let qDrop = 0;
  let relEwma = 0;
  let relStart: number | null = null;
  let waitMsPerPlaceHint = 0;
  let secondOfWindow = Number.NaN;
  let usedThisSecond = 0;

  // Seats.
  let held = 0;
  let sold = 0;
  let soldOutAt: number | null = null;
  const freeHistory: number[] = [];
  let recentHolds = 0; // decayed over a second: the hold rate for races

  // Results.
  const totals = { requests: zeros(), admissions: 0, ghostAdmissions: 0, toldSoldOut: 0, refusedAtEntry: 0, paid: 0, holds: 0 };
  const timeline: SecondRow[] = [];
  let waitingAlive = 0;
  const count = (row: SecondRow, ep: Endpoint, n: number) => {
    if (n <= 0) return;
    row.requests[ep] += n;
    totals.requests[ep] += n;
  };
  const rowAt = (t: number): SecondRow => {
    const s = Math.floor(t);
    let row = timeline[timeline.length - 1];
    if (!row || row.t !== s) {
      row = { t: s, requests: zeros(), refusedEntries: 0, admitted: 0, waiting: 0, active: 0, seatsFree: 0, sold: 0 };
      timeline.push(row);
    }
    return row;
  };

  // Whatever is scheduled from a step lands in a later one (the current one is being processed).
  let k = 0;
  const later = (t: number) => Math.max(k + 1, step(t));
  const releaseSlot = (at: number, mass: number, admittedAt: number, now: number) => {
    const k = Math.max(later(now), step(at));
    const r = releases.get(k) ?? { mass: 0, admittedSum: 0 };
    r.mass += mass;
    r.admittedSum += mass * admittedAt;
    releases.set(k, r);
  };
  const sessionEnd = (admittedAt: number, heldAt: number | null) =>
    heldAt === null ? admittedAt + session : Math.min(Math.max(admittedAt + session, heldAt + sale.holdSeconds), admittedAt + session + sale.holdSeconds);
  /** Done without buying: leaves explicitly (slot freed now) or lets the session run out. */
  const endWithout = (row: SecondRow, mass: number, admittedAt: number, now: number) => {
    count(row, 'leave', mass * b.leaveShare);
    releaseSlot(now, mass * b.leaveShare, admittedAt, now);
    releaseSlot(sessionEnd(admittedAt, null), mass * (1 - b.leaveShare), admittedAt, now);
  };
  const seatsFree = () => Math.max(0, sale.totalSeats - held - sold);
  const stageDelay = b.thinkSeconds + b.requestSeconds;
  const schedule = (t: number, e: StageEntry) => {
    push(stages, later(t), e);
    pendingStages++;
  };
  // The ETA's inputs as the scripts send them (the type says when the product adds one).
  const etaInputs = (now: number): EtaInputs => {
    const rate = relStart === null ? 0 : relEwma / (1 - Math.exp(-Math.max(now - relStart, 1) / RATE_TAU_S));
    return {
      sesN,
      sesSum,
      sesSq,
      actExpo: Math.max(0, active * now - activeAdmittedSum),
      actN: active,
      heldN: held,
      qAdm,
      qDrop,
      maxActive: sale.maxActive,
      activeMs: session * 1000,
      admitPerSec: sale.admissionsPerSecond,
      abandonMs,
      expectedMs: prior * 1000,
      // As createConcertWithQueue writes it: a prior of the concert's own only when one was given.
      priorSet: sale.expectedSessionSeconds === undefined ? 0 : 1,
      rateMilli: Math.floor(rate * 1000),
    } satisfies EtaInputs;
  };

  const endStep = Math.ceil((maxSeconds - t0) / dt);
  const preArrivalEnd = t0 + 0.9 * crowd.preQueueSeconds;
  let openedStep: number | null = null;
  for (; k <= endStep; k++) {
    const t = timeOf(k);
    const row = rowAt(t);
    const decay = Math.exp(-dt / STATS_TAU_S);
    const sessionDecay = Math.exp(-dt / SESSION_TAU_S);
    sesN *= sessionDecay;
    sesSum *= sessionDecay;
    sesSq *= sessionDecay;
    qAdm *= decay;
    qDrop *= decay;
    relEwma *= Math.exp(-dt / RATE_TAU_S);
    recentHolds *= Math.exp(-dt);

    // Slots freed (leaves, payments, expiries) and seats back from expired holds.
    const rel = releases.get(k);
    if (rel) {
      releases.delete(k);
      active = Math.max(0, active - rel.mass);
      activeAdmittedSum -= rel.admittedSum;
      const mean = rel.mass > 0 ? (rel.mass * t - rel.admittedSum) / rel.mass : 0;
      sesN += rel.mass;
      sesSum += rel.mass * mean;
      sesSq += rel.mass * mean * mean;
      relEwma += rel.mass / RATE_TAU_S;
      relStart ??= t;
    }
    const back = seatReturns.get(k);
    if (back) {
      seatReturns.delete(k);
      held = Math.max(0, held - back);
    }
    freeHistory.push(seatsFree());

    // Arrivals: the pre-queue before the opening, the rest after it.
    if (t < 0 && nPre > 0 && t < preArrivalEnd) {
      const m = (nPre * dt) / (0.9 * crowd.preQueueSeconds);
      count(row, 'enter', m);
      for (const p of preQueuePollTimes(t)) prePolls.set(later(p), (prePolls.get(later(p)) ?? 0) + m);
    }
    if (t >= 0 && openedStep === null) {
      openedStep = k;
      // The draw: every pre-queued entry gets a place in 1..nPre (a random permutation),
      // and polls once right after the opening, spread over OPENING_POLL_SPREAD_MS.
      for (let lo = 0, j = 0; lo < nPre; lo += width, j++) {
        const hi = Math.min(nPre, lo + width);
        const at = t + 0.1 + (OPENING_POLL_SPREAD_MS / 1000) * frac(j * GOLDEN);
        push(waits, later(at), { kind: 'poll', lo, hi, mass: hi - lo, start: at, lastPoll: null });
        pendingWaits++;
      }
      waitingAlive += nPre;
    }
    if (t >= 0 && nPost > 0) {
      const m = nPost * (arrivalCdf(crowd, t + dt) - arrivalCdf(crowd, t));
      if (m > 0) {
        if (soldOutAt !== null) {
          count(row, 'enter', m);
          row.refusedEntries += m;
          totals.refusedAtEntry += m;
        } else {
          for (let lo = nextSeq, end = nextSeq + m; lo < end; lo += width) {
            const hi = Math.min(end, lo + width);
            push(waits, k, { kind: 'enter', lo, hi, mass: hi - lo, start: t, lastPoll: null });
            pendingWaits++;
          }
          nextSeq += m;
          waitingAlive += m;
        }
      }
    }

    // Admission: free slots, at most admissionsPerSecond per wall-clock second, from the
    // head; waiters silent past the abandonment timeout are dropped, not admitted.
    if (t >= 0 && soldOutAt === null && head < nextSeq) {
      const second = Math.floor(t);
      if (second !== secondOfWindow) {
        secondOfWindow = second;
        usedThisSecond = 0;
      }
      const n = Math.min(sale.maxActive - active, sale.admissionsPerSecond - usedThisSecond);
      if (n > 1e-9) {
        const d = dropped(head, t);
        const advance = Math.min(nextSeq - head, n / (1 - d));
        const admitted = advance * (1 - d);
        const ghosts = (advance * Math.max(0, givenUp(head, t) - d)) / 1;
        qDrop += advance * d;
        qAdm += admitted;
        head += advance;
        headTimes.push(t);
        headSeqs.push(head);
        active += admitted;
        activeAdmittedSum += admitted * t;
        usedThisSecond += admitted;
        totals.admissions += admitted;
        totals.ghostAdmissions += ghosts;
        row.admitted += admitted;
        if (ghosts > 0) releaseSlot(t + session, ghosts, t, t);
      }
    }

    // Polls and entries due now.
    let hintMass = 0;
    let hintSum = 0;
    const due = waits.get(k);
    if (due) {
      waits.delete(k);
      const free = seatsFree();
      const inputs = etaInputs(t);
      for (const e of due) {
        pendingWaits--;
        count(row, e.kind === 'enter' ? 'enter' : 'status', e.mass);
        if (soldOutAt !== null) {
          totals.toldSoldOut += e.mass;
          waitingAlive -= e.mass;
          continue;
        }
        const span = e.hi - e.lo;
        const admittedShare = clip01((head - e.lo) / span);
        let mass = e.mass;
        if (admittedShare > 0) {
          const found = mass * admittedShare;
          mass -= found;
          waitingAlive -= found;
          const admittedAt = admittedAtSeq((e.lo + Math.min(e.hi, head)) / 2, t);
          schedule(t + stageDelay, { stage: 'dates', mass: found, admittedAt, attempt: 0, heldAt: 0 });
        }
        if (mass <= 1e-9) continue;
        const lo = Math.max(e.lo, head);
        if (e.lastPoll !== null) {
          // Those who gave up since the last poll do not poll again.
          const before = clip01((e.lastPoll - e.start) / b.giveUpWithinSeconds);
          const now = clip01((t - e.start) / b.giveUpWithinSeconds);
          const gone = (mass * b.giveUpShare * (now - before)) / (1 - b.giveUpShare * before);
          mass -= gone;
          waitingAlive -= gone;
        }
        const position = Math.max(1, (lo + e.hi) / 2 - head + 0.5);
        const estimate = estimateWait(position, inputs, free);
        if (estimate) {
          hintSum += (mass * estimate.etaExact * 1000) / position;
          hintMass += mass;
        }
        // Jitter +-10%, fixed per slice so slices that arrived together drift apart.
        const jitter = 0.9 + 0.2 * frac(e.lo * GOLDEN);
        const after = (waitingPollMs(position, abandonMs, waitMsPerPlaceHint, free) * jitter) / 1000;
        push(waits, later(t + after), { kind: 'poll', lo, hi: e.hi, mass, start: e.start, lastPoll: t });
        pendingWaits++;
      }
    }
    const pre = prePolls.get(k);
    if (pre) {
      prePolls.delete(k);
      count(row, 'status', pre);
    }
    // The container's latest estimate is the next answers' hint (waitingRoom.view()).
    if (hintMass > 0) waitMsPerPlaceHint = hintSum / hintMass;

    // Admitted users, step by step.
    const todo = stages.get(k);
    if (todo) {
      stages.delete(k);
      const listed = freeHistory[Math.max(0, freeHistory.length - 1 - Math.round(sale.seatListingCacheMs / 2000 / dt))]!;
      let holdsNow = 0;
      for (const s of todo) {
        pendingStages--;
        const m = s.mass;
        if (s.stage === 'dates' || s.stage === 'attempt') {
          if (t >= sessionEnd(s.admittedAt, null)) {
            releaseSlot(t, m, s.admittedAt, t); // the session ran out first
            continue;
          }
          count(row, s.stage === 'dates' ? 'dates' : 'seats', m);
          // Seats are whole: with `listed` free seats spread over the dates (as a Poisson
          // count), some date is open with probability 1 - e^-listed, and the date a user
          // picked still has a free seat with probability 1 - e^-(listed / dates).
          const open = soldOutAt === null ? 1 - Math.exp(-listed / (s.stage === 'dates' ? 1 : Math.max(1, sale.dates))) : 0;
          if (open < 1) endWithout(row, m * (1 - open), s.admittedAt, t);
          const going = m * open;
          if (going <= 1e-12) continue;
          if (s.stage === 'dates') {
            schedule(t + stageDelay, { ...s, stage: 'attempt', mass: going, attempt: 1 });
            continue;
          }
          count(row, 'hold', going);
          // A seat picked from a map up to SEAT_LISTING_CACHE_MS old may have been taken since.
          const freeNow = Math.max(0, seatsFree() - holdsNow);
          const takenSince = recentHolds * (sale.seatListingCacheMs / 2000);
          const race = freeNow + takenSince > 0 ? Math.min(0.95, takenSince / (freeNow + takenSince)) : 1;
          const won = Math.min(going * (1 - race), freeNow);
          const lost = going - won;
          holdsNow += won;
          held += won;
          recentHolds += won;
          totals.holds += won;
          if (won > 0) schedule(t + stageDelay, { ...s, stage: 'afterHold', mass: won, heldAt: t });
          if (lost > 0) {
            if (s.attempt < b.holdAttempts) schedule(t + stageDelay, { ...s, stage: 'attempt', mass: lost, attempt: s.attempt + 1 });
            else endWithout(row, lost, s.admittedAt, t);
          }
        } else if (s.stage === 'afterHold') {
          const released = m * b.releaseShare;
          count(row, 'release', released);
          held = Math.max(0, held - released);
          endWithout(row, released, s.admittedAt, t);
          const walked = m * b.walkAwayShare;
          const back = later(s.heldAt + sale.holdSeconds);
          seatReturns.set(back, (seatReturns.get(back) ?? 0) + walked);
          releaseSlot(sessionEnd(s.admittedAt, s.heldAt), walked, s.admittedAt, t);
          const paying = m - released - walked;
          count(row, 'balance', paying);
          count(row, 'charge', paying * b.topUpShare);
          schedule(t + stageDelay + b.requestSeconds, { ...s, stage: 'pay', mass: paying });
        } else {
          count(row, 'pay', m);
          if (t - s.heldAt > sale.holdSeconds) {
            // The hold ran out first: the seat is back, the session ends on its own.
            seatReturns.set(k + 1, (seatReturns.get(k + 1) ?? 0) + m);
            releaseSlot(sessionEnd(s.admittedAt, s.heldAt), m, s.admittedAt, t);
            continue;
          }
          held = Math.max(0, held - m);
          sold += m;
          totals.paid += m;
          releaseSlot(t, m, s.admittedAt, t); // the payment ends the token
          if (soldOutAt === null && sold >= sale.totalSeats - 0.5) soldOutAt = t; // the last seat (a fluid only approaches it)
        }
      }
    }

    row.waiting = Math.max(0, waitingAlive);
    row.active = active;
    row.seatsFree = seatsFree();
    row.sold = sold;
    const arrivalsDone = t >= crowd.arrivalSeconds;
    if (t > 0 && arrivalsDone && pendingWaits === 0 && pendingStages === 0 && releases.size === 0 && prePolls.size === 0) break;
  }

  const byEndpoint = zeros();
  let peak = 0;
  let peakWaiting = 0;
  let peakActive = 0;
  for (const r of timeline) {
    let all = 0;
    for (const ep of ENDPOINT_KEYS) {
      all += r.requests[ep];
      byEndpoint[ep] = Math.max(byEndpoint[ep], r.requests[ep]);
    }
    peak = Math.max(peak, all);
    peakWaiting = Math.max(peakWaiting, r.waiting);
    peakActive = Math.max(peakActive, r.active);
  }
  return {
    crowd,
    sale,
    stepSeconds: dt,
    bins: Math.ceil(N / width),
    timeline,
    totals: {
      ...totals,
      allRequests: ENDPOINT_KEYS.reduce((a, ep) => a + totals.requests[ep], 0),
      soldOutAtSeconds: soldOutAt,
      endSeconds: timeOf(k),
    },
    peaks: { requestsPerSecond: peak, byEndpoint, waiting: peakWaiting, active: peakActive },
  };
}
