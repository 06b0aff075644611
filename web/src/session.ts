/**
 * Who is signed in and the queue tokens they hold, as signals (kept in localStorage so a
 * reload keeps the place in the queue).
 */
import { effect, signal } from '@preact/signals';
import { oidcEnabled } from './oidc-config';

export interface Session {
  userId: string;
  token: string;
  admin: boolean;
}

function load<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

export const session = signal<Session | null>(load('session', null));
/** concertId -> queue token of the signed-in user. */
export const queueTokens = signal<Record<string, string>>(load('queueTokens', {}));

effect(() => localStorage.setItem('session', JSON.stringify(session.value)));
effect(() => localStorage.setItem('queueTokens', JSON.stringify(queueTokens.value)));

export function setQueueToken(concertId: string, token: string | undefined) {
  const next = { ...queueTokens.value };
  if (token) next[concertId] = token;
  else delete next[concertId];
  queueTokens.value = next;
}

export function signOut() {
  session.value = null;
  queueTokens.value = {};
  signInExpired.value = null;
}

/**
 * OIDC sign-in (web/src/oidc.ts): set when the provider's access token ran out (and
 * could not be renewed) or the API refused it, to the user id it belonged to, so the
 * sign-in page says why it is back. The queue tokens stay for that same user.
 */
export const signInExpired = signal<string | null>(null);

/**
 * Whether `session` may be used yet. With OIDC the stored session is only a guess until
 * web/src/oidc.ts has read oidc-client-ts's user (renewing an expired token) and is ready
 * to hear the API refuse a token: until then, pages that call the API wait, so a reload
 * with a refused or expired token brings the sign-in notice, not the API's 401s.
 */
export const sessionChecked = signal(!oidcEnabled);
