/**
 * The tests' HTTP client for the running service (serverless-offline), and small
 * given/when steps built on it. A pooled keep-alive agent lets a test put thousands of
 * requests in flight without exhausting sockets.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { checkResponse } from './contract';

export const baseUrl = () => {
  const url = process.env.TEST_BASE_URL;
  if (!url) throw new Error('TEST_BASE_URL is not set: run through `npm test` (the global setup starts the stack)');
  return url;
};

const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string>;
  ms: number;
}

export interface CallOptions {
  token?: string;
  queueToken?: string;
  /** An object is sent as JSON; a string is sent as is (for malformed-JSON tests). */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function api<T = any>(method: string, path: string, o: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.queueToken) headers['x-queue-token'] = o.queueToken;
  let body: string | undefined;
  if (o.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  }
  const started = performance.now();
  const res = await request(`${baseUrl()}${path}`, { method: method as 'GET', headers, body, dispatcher: agent });
  const text = await res.body.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. API Gateway's own 404): keep the text
  }
  const ms = performance.now() - started;
  const answer = { status: res.statusCode, body: parsed, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), ms };
  checkResponse(method, path, answer.status, parsed, answer.headers['content-type']);
  return answer;
}

/** A unique id for this test run, so tests never share concerts or users. */
export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function devToken(userId: string, admin = false): Promise<string> {
  const res = await api('POST', '/v1/dev/tokens', { body: { userId, admin } });
  if (res.status !== 201) throw new Error(`dev token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

let adminToken: Promise<string> | undefined;
export const asAdmin = () => (adminToken ??= devToken('test-admin', true));

export interface ConcertOptions {
  /** A chosen id (e.g. one whose keys land on a given cluster node); a unique one if not given. */
  concertId?: string;
  dates?: string[];
  seats?: number;
  price?: number;
  holdSeconds?: number;
  queue?: { maxActive?: number; admissionsPerSecond?: number; activeSessionSeconds?: number; abandonAfterSeconds?: number; expectedSessionSeconds?: number };
  salesOpenAt?: string;
  salesCloseAt?: string;
  preQueueMinutes?: number;
}

/** Given a concert on sale (through the admin API). */
export async function givenConcert(o: ConcertOptions = {}) {
  const concertId = o.concertId ?? uniqueId('c');
  const dates = o.dates ?? ['2027-03-01'];
  const res = await api('POST', '/v1/admin/concerts', {
    token: await asAdmin(),
    body: {
      concertId,
      name: `Test ${concertId}`,
      holdSeconds: o.holdSeconds,
      dates: dates.map((date) => ({ date, seats: o.seats ?? 50, price: o.price ?? 50_000 })),
      queue: o.queue ?? { maxActive: 1000, admissionsPerSecond: 1000 },
      salesOpenAt: o.salesOpenAt,
      salesCloseAt: o.salesCloseAt,
      preQueueMinutes: o.preQueueMinutes,
    },
  });
  if (res.status !== 201) throw new Error(`create concert: ${res.status} ${JSON.stringify(res.body)}`);
  return { concertId, dates, concert: res.body };
}

export interface User {
  userId: string;
  token: string;
}

export async function givenUser(prefix = 'u'): Promise<User> {
  const userId = uniqueId(prefix);
  return { userId, token: await devToken(userId) };
}

export async function givenUsers(n: number, prefix = 'u'): Promise<User[]> {
  return Promise.all(Array.from({ length: n }, () => givenUser(prefix)));
}

/** Enters the queue and polls (as pollAfterMs says, capped) until ACTIVE. */
export async function enterAndWaitActive(user: User, concertId: string, timeoutMs = 30_000): Promise<string> {
  const entered = await api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } });
  if (entered.status !== 201 && entered.status !== 200) throw new Error(`enter: ${entered.status} ${JSON.stringify(entered.body)}`);
  const queueToken: string = entered.body.token;
  let status = entered.body;
  const deadline = Date.now() + timeoutMs;
  while (status.status !== 'ACTIVE') {
    if (status.status === 'EXPIRED' || Date.now() > deadline) throw new Error(`not admitted: ${JSON.stringify(status)}`);
    // A polite client: not sooner than half of pollAfterMs (the poll limit, QUEUE_POLL_MIN_FRACTION).
    await new Promise((r) => setTimeout(r, status.pollAfterMs ? Math.min(status.pollAfterMs, Math.ceil(status.pollAfterMs / 2) + 25) : 200));
    status = (await api('GET', '/v1/queue/status', { token: user.token, queueToken })).body;
  }
  return queueToken;
}

/**
 * A status poll as a polite client makes it when it wants to know now: if the poll limit
 * says it is too soon (429, half of the last pollAfterMs), it waits the time the answer
 * names and polls once more.
 */
export async function pollNow(user: User, queueToken: string): Promise<ApiResponse> {
  const res = await api('GET', '/v1/queue/status', { token: user.token, queueToken });
  if (res.status !== 429 || res.body?.error?.code !== 'RATE_LIMITED') return res;
  await sleep(Number(res.body.error.details.retryAfterMs) + 20);
  return api('GET', '/v1/queue/status', { token: user.token, queueToken });
}

export interface ActiveUser extends User {
  queueToken: string;
}

/** Given users holding ACTIVE queue tokens for the concert. */
export async function givenActiveUsers(n: number, concertId: string): Promise<ActiveUser[]> {
  const users = await givenUsers(n);
  return Promise.all(users.map(async (u) => ({ ...u, queueToken: await enterAndWaitActive(u, concertId) })));
}

/** Tops up `amount`; top-ups need an Idempotency-Key, a fresh one unless given. */
export async function charge(user: User, amount: number, idempotencyKey: string = `topup-${randomUUID()}`) {
  return api('POST', '/v1/balance/charges', {
    token: user.token,
    body: { amount },
    headers: { 'idempotency-key': idempotencyKey },
  });
}

export async function hold(user: ActiveUser, concertId: string, date: string, seatNo: number) {
  return api('POST', '/v1/reservations', { token: user.token, queueToken: user.queueToken, body: { concertId, date, seatNo } });
}

export async function payFor(user: ActiveUser, reservationId: string, idempotencyKey: string = randomUUID()) {
  return api('POST', '/v1/payments', {
    token: user.token,
    queueToken: user.queueToken,
    body: { reservationId },
    headers: { 'idempotency-key': idempotencyKey },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
