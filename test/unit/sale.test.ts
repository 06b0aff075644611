import { preQueueOpensAt, queueIsLive, queueIsOpen, saleStatus, type SaleWindow } from '../../lib/booking/sale';
import { commitmentOf, drawOf, newSeed, seedMatches } from '../../lib/queue/lottery';

const T = Date.parse('2027-05-01T12:00:00.000Z');
const w = (more: Partial<SaleWindow> = {}): SaleWindow => ({ salesOpenAt: new Date(T).toISOString(), preQueueMinutes: 30, scheduleVersion: 0, ...more });

describe('sale lifecycle', () => {
  it('is SCHEDULED before the opening, ON_SALE from it, CLOSED from the close', () => {
    const win = w({ salesCloseAt: new Date(T + 3_600_000).toISOString() });
    expect(saleStatus(win, T - 1)).toBe('SCHEDULED');
    expect(saleStatus(win, T)).toBe('ON_SALE');
    expect(saleStatus(win, T + 3_600_000)).toBe('CLOSED');
  });
  it('is SOLD_OUT once every seat is sold, whatever the clock says', () => {
    expect(saleStatus(w({ soldOutAt: new Date(T + 10).toISOString() }), T + 20)).toBe('SOLD_OUT');
  });
  it('opens the queue preQueueMinutes before the sale', () => {
    expect(preQueueOpensAt(w())).toBe(T - 30 * 60_000);
    expect(queueIsOpen(w(), T - 30 * 60_000 - 1)).toBe(false);
    expect(queueIsOpen(w(), T - 30 * 60_000)).toBe(true);
    expect(queueIsOpen(w({ soldOutAt: new Date(T).toISOString() }), T + 1)).toBe(false);
  });
  it('keeps a queue live for a short while after the end (so its keys get their expiry), then never again', () => {
    const ended = w({ salesCloseAt: new Date(T + 1000).toISOString() });
    expect(queueIsLive(ended, T + 2000)).toBe(true);
    expect(queueIsLive(ended, T + 1000 + 120_000)).toBe(false);
    expect(queueIsLive(w(), T - 31 * 60_000)).toBe(false);
  });
});

describe('lottery', () => {
  it('commits to a 256-bit seed with SHA-256 and orders by HMAC-SHA256', () => {
    const seed = newSeed();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(seedMatches(seed, commitmentOf(seed))).toBe(true);
    expect(seedMatches(newSeed(), commitmentOf(seed))).toBe(false);
    expect(drawOf(seed, 'entry-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(drawOf(seed, 'entry-1')).not.toBe(drawOf(seed, 'entry-2'));
  });
});
