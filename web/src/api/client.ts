/**
 * The typed API client: openapi-fetch over the types openapi-typescript generates from
 * web/openapi/openapi.json (itself generated from the handlers' routes), so a call that
 * does not match the API does not compile. Every error body is {"error": {code, message}}.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type QueueTicket = Schemas['QueueTicket'];
export type SeatStatus = Schemas['SeatStatus'];

export const api = createClient<paths>({ baseUrl: (import.meta.env.VITE_API_URL as string | undefined) ?? '' });

/** An API refusal, in the API's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** From Retry-After (429, 503), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The body of a successful answer, or an ApiError carrying the API's code and message. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const e = (error as Schemas['Error'] | undefined)?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new ApiError(
    response.status,
    e?.code ?? `HTTP_${response.status}`,
    e?.message ?? response.statusText,
    e?.details as Record<string, unknown>,
    retryAfter > 0 ? retryAfter * 1000 : undefined,
  );
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The API's codes for a bearer token it does not accept (expired, invalid, missing). */
const BEARER_REFUSED = new Set(['TOKEN_EXPIRED', 'INVALID_TOKEN', 'UNAUTHENTICATED']);
let onBearerRefused: ((token: string, code: string) => void) | undefined;

/**
 * Called with the token and the API's code whenever the API answers 401 to a request's
 * bearer token (not to its queue token). The OIDC sign-in (web/src/oidc.ts) sets it, to
 * ask the user to sign in again instead of showing the refusal; development tokens keep
 * showing the API's words.
 */
export function setBearerRefusedHandler(handler: typeof onBearerRefused): void {
  onBearerRefused = handler;
}

api.use({
  async onResponse({ request, response }) {
    if (response.status !== 401 || !onBearerRefused) return undefined;
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    if (!token) return undefined;
    const code = await response
      .clone()
      .json()
      .then((b: Schemas['Error']) => b?.error?.code)
      .catch(() => undefined);
    if (code && BEARER_REFUSED.has(code)) onBearerRefused(token, code);
    return undefined;
  },
});

export const newIdempotencyKey = () => `web-${crypto.randomUUID()}`;
