/**
 * The catalog's per-container cache of concerts by id, bounded in both directions:
 *   found    up to `maxFound` concerts (LRU), each for `foundTtlMs`;
 *   missing  up to `maxMissing` ids that had no (ready) concert (LRU), each for the
 *            shorter `missingTtlMs`, so a burst of lookups of one unknown id costs one
 *            read per interval, while random unknown ids only cycle a fixed-size list
 *            instead of growing the container's memory.
 * Built on lru-cache (already used for verified tokens in lib/auth/identity.ts).
 */
import { LRUCache } from 'lru-cache';

export interface ConcertCacheOptions {
  maxFound: number;
  foundTtlMs: number;
  maxMissing: number;
  missingTtlMs: number;
}

export const CONCERT_CACHE_DEFAULTS: ConcertCacheOptions = { maxFound: 1_000, foundTtlMs: 5_000, maxMissing: 1_000, missingTtlMs: 1_000 };

export class ConcertCache<V extends object> {
  private readonly found: LRUCache<string, V>;
  private readonly missing: LRUCache<string, true>;

  constructor(options: ConcertCacheOptions = CONCERT_CACHE_DEFAULTS) {
    this.found = new LRUCache<string, V>({ max: options.maxFound, ttl: options.foundTtlMs });
    this.missing = new LRUCache<string, true>({ max: options.maxMissing, ttl: options.missingTtlMs });
  }

  /** The cached value for `id`, or what `load` returns (undefined = no such concert), remembered. */
  async get(id: string, load: (id: string) => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.found.get(id);
    if (hit !== undefined) return hit;
    if (this.missing.has(id)) return undefined;
    const value = await load(id);
    if (value === undefined) this.missing.set(id, true);
    else this.found.set(id, value);
    return value;
  }

  /** Forgets `id` (after this container changed or created it). */
  forget(id: string): void {
    this.found.delete(id);
    this.missing.delete(id);
  }

  /** Entries held (found, missing): never more than the two maxima. */
  get size(): { found: number; missing: number } {
    return { found: this.found.size, missing: this.missing.size };
  }
}
