/** The shard of a held seat in the sweep index: a stable hash of show and seat, spread evenly. */
import { HELD_SHARDS, heldShardOf } from '../../lib/booking/seat-store';

const shardNo = (s: string) => Number(s.slice('HELD#'.length));

it('is stable and within HELD#0..HELD#(n-1)', () => {
  expect(heldShardOf('c1#2027-01-01', 7)).toBe(heldShardOf('c1#2027-01-01', 7));
  for (let seat = 1; seat <= 1000; seat++) {
    const n = shardNo(heldShardOf('c1#2027-01-01', seat));
    expect(Number.isInteger(n) && n >= 0 && n < HELD_SHARDS).toBe(true);
  }
});

it('spreads the seats of one show over every shard, and a large concert evenly', () => {
  expect(new Set(Array.from({ length: 200 }, (_, i) => heldShardOf('opening#2027-01-01', i + 1))).size).toBe(HELD_SHARDS);
  // 100 dates x 100 seats: no shard takes much more than its 1/32 share.
  const counts = new Array<number>(HELD_SHARDS).fill(0);
  for (let d = 1; d <= 100; d++) for (let seat = 1; seat <= 100; seat++) counts[shardNo(heldShardOf(`big#2027-${String(d).padStart(3, '0')}`, seat))]!++;
  const fair = 10_000 / HELD_SHARDS;
  expect(Math.max(...counts)).toBeLessThan(fair * 1.25);
  expect(Math.min(...counts)).toBeGreaterThan(fair * 0.75);
});
