/**
 * The fast claim in front of a hold: a short Redis lease on one seat, taken before any
 * DynamoDB work, so that when hundreds of users click the same seat at once only the one
 * holding the claim reads the seat and runs the hold transaction; the others are
 * answered 409 SEAT_UNAVAILABLE from Redis in about a millisecond.
 *
 * DynamoDB stays the only truth about seats; the claim only decides who may try:
 *  - `SET NX PX lease`: at most one claim per seat at a time, and it ends by itself after
 *    the lease (a crash between claim and transaction blocks the seat for at most that);
 *    the lease is never longer than the hold it guards, so it ends before the hold does;
 *  - a claimer that does not get the seat (taken in DynamoDB, hold limit, any error)
 *    deletes its claim at once, so a free seat is never refused for longer than it takes
 *    the claimer to find out;
 *  - the winner's claim carries its reservation id and is left to run out (it keeps
 *    answering the crowd that arrives right after the win without a DynamoDB read);
 *    giving the hold back deletes it (compare-and-delete), so a released seat can be
 *    taken again at once;
 *  - Redis down or slow (no answer within the claim timeout): no claim, the hold goes the
 *    transaction path as it would without claims (counted, logged); if that hold fails,
 *    the claim a late SET may still have written is deleted like a loser's.
 * Keys: `seat-claim:<concertId>:<date>:<seatNo>`, single-key commands, so on a Redis
 * Cluster the claims of one show spread over the shards.
 */
import type { RedisClient } from '../clients/redis';
import { count, logger } from '../observability';

/** How long a claim waits for Redis before the hold proceeds without one (SEAT_CLAIM_TIMEOUT_MS). */
export const CLAIM_TIMEOUT_MS = 250;

export type ClaimOutcome = 'CLAIMED' | 'TAKEN' | 'NO_CLAIM';

export interface SeatRef {
  concertId: string;
  date: string;
  seatNo: number;
}

const DROP = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

type ClaimClient = RedisClient & { seatClaimDrop?: (key: string, token: string) => Promise<number> };

export const seatClaimKey = (s: SeatRef) => `seat-claim:${s.concertId}:${s.date}:${s.seatNo}`;

export class SeatClaims {
  private readonly client: ClaimClient;

  /** `leaseMs` 0 turns claims off (every hold goes straight to the transaction). */
  constructor(
    client: RedisClient,
    readonly leaseMs: number,
    readonly timeoutMs: number = CLAIM_TIMEOUT_MS,
  ) {
    if (!('seatClaimDrop' in client)) client.defineCommand('seatClaimDrop', { numberOfKeys: 1, lua: DROP });
    this.client = client as ClaimClient;
  }

  /**
   * Claims the seat for `token` (the reservation id the hold will have). The lease never
   * outlasts `holdMs`, the hold it guards: a claim taken before the hold's transaction
   * ends before the hold does, so the seat of an expired hold can be taken at once.
   */
  async claim(seat: SeatRef, token: string, holdMs: number = Infinity): Promise<ClaimOutcome> {
    const lease = Math.floor(Math.min(this.leaseMs, holdMs));
    if (lease <= 0) return 'NO_CLAIM';
    try {
      const set = await withTimeout(this.timeoutMs, this.client.set(seatClaimKey(seat), token, 'PX', lease, 'NX'));
      return set === 'OK' ? 'CLAIMED' : 'TAKEN';
    } catch (err) {
      count('SeatClaimUnavailable');
      logger.warn('seat_claim.unavailable', { error: (err as Error).message, fallback: 'transaction' });
      return 'NO_CLAIM';
    }
  }

  /** Deletes the seat's claim if it is still `token`'s. Best effort: at worst it runs out. */
  async drop(seat: SeatRef, token: string): Promise<void> {
    if (this.leaseMs <= 0) return;
    try {
      await withTimeout(this.timeoutMs, this.client.seatClaimDrop!(seatClaimKey(seat), token));
    } catch (err) {
      count('SeatClaimDropFailed');
      logger.warn('seat_claim.drop_failed', { error: (err as Error).message, fallback: 'lease expiry' });
    }
  }
}

async function withTimeout<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
