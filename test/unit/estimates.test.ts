import { estimateWait, pollAfterMs, preQueuePollAfterMs, OPENING_POLL_SPREAD_MS, PRIOR_SESSIONS, SCARCE_POLL_MS } from '../../lib/queue/estimates';
import type { EtaInputs } from '../../lib/queue/replies';

const none: EtaInputs = {
  sesN: 0, sesSum: 0, sesSq: 0, actExpo: 0, qAdm: 0, qDrop: 0,
  maxActive: 100, activeMs: 600_000, admitPerSec: 50, abandonMs: 180_000, expectedMs: 60_000, rateMilli: 0,
};
const mid = () => 0.5; // no jitter

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
  it('has no estimate while the queue is paused', () => {
    expect(estimateWait(100, { ...none, maxActive: 0 })).toBeNull();
  });
});

describe('preQueuePollAfterMs', () => {
  it('polls right after the opening, spread over a few seconds', () => {
    expect(preQueuePollAfterMs(30_000, false, () => 0)).toBeGreaterThan(30_000);
    expect(preQueuePollAfterMs(30_000, false, () => 1)).toBeLessThanOrEqual(30_000 + 100 + OPENING_POLL_SPREAD_MS);
  });
  it('does not poll for nothing long before the opening', () => {
    const after = preQueuePollAfterMs(3_600_000, false, mid);
    expect(after).toBeGreaterThan(60_000);
    expect(after).toBeLessThanOrEqual(3_600_000 - 60_000);
  });
  it('polls again within a couple of seconds while the draw is being placed', () => {
    expect(preQueuePollAfterMs(-10, true, () => 1)).toBeLessThanOrEqual(1_500);
  });
});

describe('pollAfterMs', () => {
  const abandon = 180_000;
  it('polls every second near the front, rarely at the back', () => {
    expect(pollAfterMs(1, null, abandon, mid)).toBe(1_000);
    expect(pollAfterMs(500, null, abandon, mid)).toBe(10_000);
    expect(pollAfterMs(50_000, null, abandon, mid)).toBe(60_000);
  });
  it('never waits longer than half the expected wait', () => {
    expect(pollAfterMs(50_000, 30, abandon, mid)).toBe(15_000);
    expect(pollAfterMs(500, 1, abandon, mid)).toBe(1_000);
  });
  it('never waits long enough to be taken for abandoned, even with jitter', () => {
    expect(pollAfterMs(50_000, null, 30_000, () => 1)).toBeLessThan(30_000 / 2);
    expect(pollAfterMs(50_000, null, 6_000, mid)).toBe(2_000);
  });
  it('spreads a crowd by +-10%', () => {
    expect(pollAfterMs(50_000, null, abandon, () => 0)).toBe(54_000);
    expect(pollAfterMs(50_000, null, abandon, () => 1)).toBe(66_000);
  });
});

describe('pollAfterMs when seats run short', () => {
  it('polls at least every SCARCE_POLL_MS while fewer seats are free than people ahead', () => {
    expect(pollAfterMs(50_000, null, 180_000, mid, 10)).toBe(SCARCE_POLL_MS);
    expect(pollAfterMs(50_000, null, 180_000, mid, 100_000)).toBe(60_000);
  });
});
