import { estimateWait, pollAfterMs } from '../../lib/queue/estimates';

const base = { position: 100, measuredRatePerSecond: 0, maxActive: 100, activeSessionSeconds: 600, admissionsPerSecond: 50 };
const mid = () => 0.5; // no jitter

describe('estimateWait', () => {
  it('uses the measured rate at which slots free up', () => {
    expect(estimateWait({ ...base, measuredRatePerSecond: 10 })).toBe(10);
  });
  it('falls back to the rate the settings guarantee when little was admitted lately', () => {
    // 100 slots, each free within 600 s: at least 1/6 admission per second.
    expect(estimateWait({ ...base, measuredRatePerSecond: 0 })).toBe(600);
  });
  it('never promises more than the admission budget allows', () => {
    expect(estimateWait({ ...base, maxActive: 100_000, activeSessionSeconds: 1, admissionsPerSecond: 5 })).toBe(20);
  });
  it('has no estimate while the queue is paused', () => {
    expect(estimateWait({ ...base, maxActive: 0 })).toBeNull();
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
