/**
 * Queue tokens and Redis keys. A queue token is `<concertId>.<tokenId>`: the tokenId is
 * 128 random bits (unguessable); the concert prefix only routes the token to its
 * concert's keys so a poll stays one Redis round trip. Clients treat it as opaque.
 */
import { randomBytes } from 'node:crypto';
import { ConcertId } from '../booking/ids';

export interface ParsedQueueToken {
  concertId: string;
  tokenId: string;
}

const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

export function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

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

/** The ten keys of a concert's queue, in the order the scripts expect (see scripts.ts). */
export function queueKeys(concertId: string): string[] {
  const tag = `{q:${concertId}}`;
  return ['seq', 'waiting', 'seen', 'active', 'tokens', 'users', 'ended', 'endedAt', 'meta', 'admissions'].map(
    (name) => `${tag}:${name}`,
  );
}
