/**
 * A per-container cache of the seats of each show, for the seat map and the dates list.
 *
 * Without it every listing reads a whole show partition: 1,000 active users refreshing
 * the map every few seconds are hundreds of queries per second on one partition key.
 * With it a container reads a show at most once per `ttlMs` (about a second), however
 * many users ask, and concurrent listings of one show share one query (single flight).
 *
 * Statuses are computed from the cached items at read time (an expired hold reads
 * AVAILABLE at once), and a transaction this container commits on a show's seats (hold,
 * release, payment, sweep: Dynamo.onCommit) forgets that show, so a user never sees
 * their own container's change late. Another container's change shows within `ttlMs`.
 * The map is a view: holds and payments decide on consistent reads and conditions, never
 * on it. Bounded: at most `maxShows` shows (LRU).
 */
import { LRUCache } from 'lru-cache';
import type { Item } from '../clients/dynamodb';
import type { TransactItem } from '../clients/transactions';

export class ShowSeatsCache {
  private readonly cached: LRUCache<string, Item[]> | undefined;
  private readonly inFlight = new Map<string, Promise<Item[]>>();

  /** `ttlMs` 0: no cache, every listing queries (concurrent ones still share a query). */
  constructor(
    readonly ttlMs: number,
    maxShows = 1_000,
  ) {
    this.cached = ttlMs > 0 ? new LRUCache<string, Item[]>({ max: maxShows, ttl: ttlMs }) : undefined;
  }

  async get(showId: string, load: (showId: string) => Promise<Item[]>): Promise<Item[]> {
    const hit = this.cached?.get(showId);
    if (hit) return hit;
    let pending = this.inFlight.get(showId);
    if (!pending) {
      const p = load(showId).then(
        (items) => {
          // Only if nothing was committed on the show since the query started.
          if (this.inFlight.get(showId) === p) {
            this.inFlight.delete(showId);
            this.cached?.set(showId, items);
          }
          return items;
        },
        (err: unknown) => {
          if (this.inFlight.get(showId) === p) this.inFlight.delete(showId);
          throw err;
        },
      );
      this.inFlight.set(showId, p);
      pending = p;
    }
    return pending;
  }

  /** Forgets `showId`; a query already running for it no longer fills the cache. */
  forget(showId: string): void {
    this.cached?.delete(showId);
    this.inFlight.delete(showId);
  }

  /** Forgets every show whose seats `items` (a committed transaction) wrote to `seatsTable`. */
  forgetTouched(items: TransactItem[], seatsTable: string): void {
    for (const item of items) {
      const op = item.Update ?? item.Put ?? item.Delete ?? item.ConditionCheck;
      if (!op || op.TableName !== seatsTable) continue;
      const key = (item.Put ? item.Put.Item : (op as { Key?: Record<string, unknown> }).Key) as Record<string, unknown> | undefined;
      if (typeof key?.showId === 'string') this.forget(key.showId);
    }
  }
}
