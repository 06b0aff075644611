import { estimateWait, PRIOR_SESSIONS, UNSET_PRIOR_SESSIONS } from '../../lib/queue/estimates';
import type { EtaInputs } from '../../lib/queue/replies';

const none: EtaInputs = {
  sesN: 0, sesSum: 0, sesSq: 0, actExpo: 0, actN: 100, heldN: 0, qAdm: 0, qDrop: 0,
  maxActive: 100, activeMs: 600_000, admitPerSec: 50, abandonMs: 180_000, expectedMs: 60_000, priorSet: 1, rateMilli: 0,
};

/** Inputs as if `n` sessions of exactly `seconds` had ended (no decay). */
const measured = (n: number, seconds: number, more: Partial<EtaInputs> = {}): EtaInputs => ({ ...none, sesN: n, sesSum: n * seconds, sesSq: n * seconds * seconds, ...more });

describe('estimateWait', () => {
  it('starts from the prior: 100 slots, 60 s sessions -> 100 places in 60 s', () => {
    expect(estimateWait(100, none)!.etaSeconds).toBe(60);
  });
  it('moves to the measured session length as sessions end', () => {
    // 10,000 sessions of 6 s: the prior (60 s, worth PRIOR_SESSIONS) barely counts.
    const eta = estimateWait(1000, measured(10_000, 6))!.etaSeconds;
    expect(eta).toBeGreaterThanOrEqual(60);
    expect(eta).toBeLessThanOrEqual(61);
  });
  it('counts how long the running sessions have lasted so far', () => {
    const ended = measured(PRIOR_SESSIONS, 2, { expectedMs: 2_000 });
    expect(estimateWait(100, { ...ended, actExpo: 100 * 20 })!.etaSeconds).toBeGreaterThan(estimateWait(100, ended)!.etaSeconds * 5);
  });
  it('lets running sessions younger than the mean add nothing: at an opening none has had time to end', () => {
    // 100 sessions 6 s old, 10 ended after 7 s, a prior of 20 s: the ended ones and the
    // prior say 13.5 s; counting the young ones' 600 s without an end (a memoryless model)
    // would say 43.5 s, that is the 20 s cap.
    const opening = measured(PRIOR_SESSIONS, 7, { expectedMs: 20_000, activeMs: 20_000, actExpo: 100 * 6 });
    expect(estimateWait(100, opening)!.etaExact).toBeCloseTo(13.5, 5);
  });
  it('weighs a prior nobody set (the session length setting) less than the concert\'s own', () => {
    // 4 sessions of 5 s have ended; the prior is 30 s.
    const own = estimateWait(100, measured(4, 5, { expectedMs: 30_000, activeMs: 30_000 }))!.etaExact;
    const unset = estimateWait(100, measured(4, 5, { expectedMs: 30_000, activeMs: 30_000, priorSet: 0 }))!.etaExact;
    expect(own).toBeCloseTo((4 * 5 + PRIOR_SESSIONS * 30) / (4 + PRIOR_SESSIONS), 5);
    expect(unset).toBeCloseTo((4 * 5 + UNSET_PRIOR_SESSIONS * 30) / (4 + UNSET_PRIOR_SESSIONS), 5);
  });
  it('never expects a session longer than the session length setting', () => {
    // A prior of 60 s for sessions the admission loop ends after 20 s.
    const early = measured(2, 3, { expectedMs: 60_000, activeMs: 20_000 });
    expect(estimateWait(100, early)!.etaExact).toBe(20);
  });
  it('discounts the users ahead who will leave before their turn', () => {
    const all = estimateWait(1000, measured(1000, 6, { qAdm: 1000, qDrop: 0 }))!.etaSeconds;
    const quarterLeave = estimateWait(1000, measured(1000, 6, { qAdm: 750, qDrop: 250 }))!.etaSeconds;
    expect(quarterLeave / all).toBeCloseTo(0.75, 1);
  });
  it('never promises more than the admission budget allows', () => {
    expect(estimateWait(100, measured(1000, 1, { maxActive: 100_000, admitPerSec: 5 }))!.etaSeconds).toBe(20);
  });
  it('gives a range around the estimate that narrows as evidence grows', () => {
    const early = estimateWait(1000, none)!;
    const late = estimateWait(1000, measured(5000, 60))!;
    expect(early.etaRange.low).toBeLessThanOrEqual(early.etaSeconds);
    expect(early.etaRange.high).toBeGreaterThanOrEqual(early.etaSeconds);
    const width = (e: typeof early) => (e.etaRange.high - e.etaRange.low) / e.etaSeconds;
    expect(width(late)).toBeLessThan(width(early));
  });
  it('blends in the measured slot-release rate as sessions end', () => {
    // The model says 100 slots / 6 s = 16.7 places/s; slots have been freeing at 40/s.
    const model = estimateWait(1000, measured(0, 6, { expectedMs: 6_000 }))!.etaSeconds;
    const early = estimateWait(1000, measured(2, 6, { expectedMs: 6_000, rateMilli: 40_000 }))!.etaSeconds;
    const later = estimateWait(1000, measured(500, 6, { expectedMs: 6_000, rateMilli: 40_000 }))!.etaSeconds;
    expect(model).toBe(60);
    expect(early).toBeLessThan(model);
    expect(early).toBeGreaterThan(later);
    expect(later).toBeGreaterThanOrEqual(25);
    expect(later).toBeLessThanOrEqual(27); // 1000 / 40 = 25 s, the model's weight nearly gone
  });
  it('expects only as many users ahead to book as there are free seats; the rest pass at the admission budget, then at the measured pace', () => {
    // 1,000 ahead, 100 slots of 60 s, 50 admissions/s, nobody has ended yet: 600 s while seats are plenty.
    expect(estimateWait(1000, none, 5_000)!.etaSeconds).toBe(600);
    expect(estimateWait(1000, none, null)!.etaSeconds).toBe(600);
    // 300 free seats, 100 of them for the active users: 200 can book (120 s), 800 pass at 50/s (16 s).
    expect(estimateWait(1000, none, 300)!.etaSeconds).toBe(136);
    // Nothing left beyond the active users' share: the queue moves at the admission budget...
    expect(estimateWait(1000, none, 50)!.etaSeconds).toBe(20);
    // ...and, as sessions end, at the pace slots are measured to free up (10/s here: 100 s).
    const measuredSlow = measured(10_000, 60, { rateMilli: 10_000 });
    expect(estimateWait(1000, measuredSlow, 0)!.etaSeconds).toBeGreaterThanOrEqual(99);
    expect(estimateWait(1000, measuredSlow, 0)!.etaSeconds).toBeLessThanOrEqual(101);
  });
  it('counts active users who already hold a seat as booked: the free seats are for the others', () => {
    // 300 free seats, 100 active of whom 60 hold a seat: 40 may still take one, so 260 of the
    // 1,000 ahead can book (156 s at 60 s sessions) and 740 pass at 50/s (14.8 s).
    expect(estimateWait(1000, { ...none, heldN: 60 }, 300)!.etaSeconds).toBe(171);
    // A set not full yet (20 running, none holding): only those 20 are ahead on the seats,
    // so 280 can book (168 s) and 720 pass (14.4 s).
    expect(estimateWait(1000, { ...none, actN: 20 }, 300)!.etaSeconds).toBe(182);
    // Holders never make more seats free than there are.
    expect(estimateWait(1000, { ...none, heldN: 500 }, 0)!.etaSeconds).toBe(20);
  });
  it('widens the range by what is not known about the pace of users who will find nothing', () => {
    const ratio = (w: { etaRange: { low: number; high: number } }) => w.etaRange.high / Math.max(1, w.etaRange.low);
    // Seats plenty: the wait is all bookers, no such term.
    const plenty = estimateWait(1000, measured(5_000, 6, { rateMilli: 16_000 }), 5_000)!;
    // No seats left and the measured pace (16/s) far below the budget (50/s): the pace of
    // the users ahead could be anywhere between, so the range is wider...
    const scarce = estimateWait(1000, measured(5_000, 6, { rateMilli: 16_000 }), 0)!;
    expect(ratio(scarce)).toBeGreaterThan(ratio(plenty) * 1.3);
    expect(scarce.etaRange.low).toBeLessThan(scarce.etaSeconds);
    expect(scarce.etaRange.high).toBeGreaterThan(scarce.etaSeconds);
    // ...and as narrow as without it when the measured pace is the budget itself.
    const atBudget = estimateWait(1000, measured(5_000, 2, { rateMilli: 50_000 }), 0)!;
    const atBudgetPlenty = estimateWait(1000, measured(5_000, 2, { rateMilli: 50_000 }), 5_000)!;
    expect(ratio(atBudget)).toBeCloseTo(ratio(atBudgetPlenty), 1);
  });
  it('has no estimate while the queue is paused', () => {
    expect(estimateWait(100, { ...none, maxActive: 0 })).toBeNull();
  });
});

// The poll schedule runs in the poll's Lua script: test/integration/poll-schedule.test.ts.
