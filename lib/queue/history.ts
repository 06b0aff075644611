/**
 * The deployment's measured history of queue sessions: how long an admitted user
 * stayed (admission to payment, leaving or expiry), per concert, kept in one small Redis
 * hash. The admission loop records each live concert's totals now and then; a new
 * concert's ETA prior (`expectedSessionSeconds`) defaults to the mean over the recent
 * concerts with enough sessions, so the first ETAs of an opening come from what this
 * service measured before, not from a guess.
 */
import type { RedisClient } from '../clients/redis';
import { withDeadline } from '../clients/dependency-errors';

const HISTORY_KEY = 'queue:history';
/** Concerts kept in the history (the most recent ones). */
const KEEP = 20;
/** A concert counts once this many of its sessions have ended. */
export const MIN_SESSIONS = 30;

interface Entry {
  sessions: number;
  totalMs: number;
  at: number;
}

export class QueueHistory {
  /** `timeoutMs`: a call without an answer in time fails (a Cluster with no reachable node queues commands without limit). */
  constructor(
    private readonly redis: RedisClient,
    private readonly timeoutMs = 2_000,
  ) {}

  private within<T>(call: Promise<T>): Promise<T> {
    return withDeadline('redis', call, this.timeoutMs);
  }

  async record(concertId: string, sessions: number, totalMs: number, now = Date.now()): Promise<void> {
    if (sessions < MIN_SESSIONS) return;
    await this.within(this.redis.hset(HISTORY_KEY, concertId, JSON.stringify({ sessions, totalMs, at: now } satisfies Entry)));
    const all = await this.entries();
    if (all.length > KEEP) {
      const old = all.sort((a, b) => b.entry.at - a.entry.at).slice(KEEP).map((e) => e.concertId);
      await this.within(this.redis.hdel(HISTORY_KEY, ...old));
    }
  }

  /** The mean session length (ms) over the recent concerts, weighted by sessions, or undefined. */
  async meanSessionMs(): Promise<number | undefined> {
    const all = await this.entries();
    const sessions = all.reduce((n, e) => n + e.entry.sessions, 0);
    if (sessions < MIN_SESSIONS) return undefined;
    return Math.round(all.reduce((n, e) => n + e.entry.totalMs, 0) / sessions);
  }

  private async entries(): Promise<{ concertId: string; entry: Entry }[]> {
    const raw = await this.within(this.redis.hgetall(HISTORY_KEY));
    return Object.entries(raw).flatMap(([concertId, v]) => {
      try {
        const entry = JSON.parse(v) as Entry;
        return Number.isFinite(entry.sessions) && Number.isFinite(entry.totalMs) ? [{ concertId, entry }] : [];
      } catch {
        return [];
      }
    });
  }
}
