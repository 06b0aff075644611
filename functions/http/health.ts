/**
 * GET /v1/health: readiness. 200 {"status": "ok", "ready": true, "checks": {...}} when
 * DynamoDB, Redis and SQS answer this container; 503 with the same body naming the
 * dependency that does not (and Retry-After). A container reuses its last check for
 * READINESS_CACHE_MS (lib/readiness.ts), so between checks this is the benchmark's
 * no-op baseline: the middleware stack and nothing else.
 */
import { defineRoute, httpHandler } from '../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/health' }, auth: 'public' });

export const handler = httpHandler(route, async ({ app }) => {
  const { ready, checks, checkedAt } = await app.readiness.check();
  return ready
    ? { status: 200, body: { status: 'ok', ready, checks, checkedAt } }
    : { status: 503, body: { status: 'unavailable', ready, checks, checkedAt }, headers: { 'retry-after': '5' } };
});
