/**
 * The pre-queue lottery. When a concert is created the service draws a 256-bit seed
 * from a CSPRNG and publishes only its commitment sha256(seed). Every entry made before
 * the opening gets a public entryId; at the opening the entries are placed in ascending
 * order of HMAC-SHA256(seed, entryId) (hex), which is a uniformly random permutation
 * that nobody could predict or steer without the seed. After the opening the seed is
 * revealed, so anyone can recompute the HMACs, sort, and check the published order
 * (README, "Check the draw").
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The rule, in words, as GET /v1/concerts/{id}/fairness publishes it. */
export const DRAW_METHOD =
  'At creation the service drew a 256-bit seed with a CSPRNG and published commitment = hex(SHA-256(seed bytes)). ' +
  'Everyone who entered the pre-queue got a public entryId. At the opening, pre-queued entries were placed in ascending ' +
  'order of hex(HMAC-SHA256(key = seed bytes, message = entryId as UTF-8)), positions 1..N; entries after the opening ' +
  'queue first come, first served behind them. The seed (hex) is revealed once the draw is done: check that SHA-256 of it ' +
  'equals the commitment, recompute the HMACs of the published entryIds, sort them and find yours.';

export const newSeed = (): string => randomBytes(32).toString('hex');

export const commitmentOf = (seedHex: string): string => createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');

/** An entry's place in the draw: hex(HMAC-SHA256(seed, entryId)), 64 lowercase hex digits. */
export const drawOf = (seedHex: string, entryId: string): string => createHmac('sha256', Buffer.from(seedHex, 'hex')).update(entryId, 'utf8').digest('hex');

export function seedMatches(seedHex: string, commitment: string): boolean {
  const a = Buffer.from(commitmentOf(seedHex), 'hex');
  const b = Buffer.from(commitment, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
