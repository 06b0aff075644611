/**
 * Queue tokens and Redis keys. A queue token is `<concertId>.<tokenId>`: the tokenId is
 * 128 random bits (unguessable); the concert prefix only routes the token to its
 * concert's keys so a poll stays one Redis round trip. Clients treat it as opaque.
 */
import { randomBytes } from 'node:crypto';
import { ConcertId } from '../ids';

export interface ParsedQueueToken {
  concertId: string;
  tokenId: string;
}

const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Random bytes are drawn 4 KiB at a time and handed out 16 at a time: one randomBytes()
 * call per id cost ~3 µs of the entry's CPU (two ids per entry), a slice of a pool a
 * fraction of that. Every id still gets 128 bits from the CSPRNG, never reused.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

export function newTokenId(): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return id;
}

/** A public entry id (128 random bits, base64url): names an entry in the lottery, safe to publish. */
export const newEntryId = newTokenId;

export function formatQueueToken(concertId: string, tokenId: string): string {
  return `${concertId}.${tokenId}`;
}

/** Returns undefined for anything that is not a well-formed token. */
export function parseQueueToken(token: string | undefined): ParsedQueueToken | undefined {
  if (!token || token.length > 120) return undefined;
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const concertId = token.slice(0, dot);
  const tokenId = token.slice(dot + 1);
  if (!TOKEN_ID.test(tokenId) || !ConcertId.safeParse(concertId).success) return undefined;
  return { concertId, tokenId };
}

/** A concert's queue keys by name (their roles: prelude.lua). The scripts bind them by name. */
export const QUEUE_KEYS = ['seq', 'waiting', 'seen', 'active', 'tokens', 'users', 'ended', 'endedAt', 'meta', 'admissions', 'pre', 'entries', 'held', 'sold', 'polls'] as const;
export type QueueKey = (typeof QUEUE_KEYS)[number];

/** The Redis key of one of a concert's queue keys; all share the hash tag `{q:<concertId>}`. */
export function queueKey(concertId: string, name: QueueKey): string {
  return `{q:${concertId}}:${name}`;
}

/** Every key of a concert's queue, in QUEUE_KEYS order (the KEYS of a script call). */
export function queueKeys(concertId: string): string[] {
  return QUEUE_KEYS.map((name) => queueKey(concertId, name));
}

/**
 * queueKeys(concertId) built once per concert and shared (read-only): every script call
 * sends all 15 keys, and building them per call was 15 strings and an array of garbage
 * per request. At most MAX_CACHED_CONCERTS concerts are kept; past that the cache starts
 * over (a container serves a handful of concerts).
 */
const MAX_CACHED_CONCERTS = 1_000;
const keysByConcert = new Map<string, readonly string[]>();

export function cachedQueueKeys(concertId: string): readonly string[] {
  let keys = keysByConcert.get(concertId);
  if (!keys) {
    if (keysByConcert.size >= MAX_CACHED_CONCERTS) keysByConcert.clear();
    keys = Object.freeze(queueKeys(concertId));
    keysByConcert.set(concertId, keys);
  }
  return keys;
}
