/**
 * GET /v1/health is readiness: 200 only when DynamoDB (the four tables), Redis and the
 * release queue answer; 503 naming the one that does not, and ready again once it is
 * back; a container reuses its result for READINESS_CACHE_MS. The handler runs
 * in-process through its real middy stack against the shared DynamoDB Local and SQS
 * emulator and a private redis-server that the test stops and starts.
 */
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { handler as health } from '../../functions/http/health';
import { deadEndpoint, freePort, startRedis, type Child } from '../support/private-services';
import { invokeHttp } from '../support/lambda';
import { baseUrl } from '../support/api';
import { quietLogs } from '../support/quiet-logs';

quietLogs(); // the outages are expected

const apps: App[] = [];
function appWith(env: Record<string, string>): App {
  const app = createApp(loadConfig({ ...process.env, DEPENDENCY_TIMEOUT_MS: '500', READINESS_CACHE_MS: '0', ...env }));
  apps.push(app);
  useApp(app);
  return app;
}
afterAll(async () => {
  for (const app of apps) await app.close();
});

const allOk = { dynamodb: 'ok', redis: 'ok', sqs: 'ok' };

it('is ready over HTTP on the running stack', async () => {
  const res = await fetch(`${baseUrl()}/v1/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', ready: true, checks: allOk, checkedAt: expect.any(String) });
});

describe('with a Redis that stops and comes back', () => {
  let port: number;
  let redis: Child;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
  });
  afterAll(() => redis.stop());

  it('answers 503 naming Redis while it is down, and 200 again once it is back', async () => {
    appWith({ REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(await invokeHttp(health, { path: '/v1/health' })).toMatchObject({ status: 200, body: { status: 'ok', ready: true, checks: allOk } });

    await redis.stop();
    const down = await invokeHttp(health, { path: '/v1/health' });
    expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', ready: false, checks: { dynamodb: 'ok', redis: 'unavailable', sqs: 'ok' } } });
    expect(down.headers['retry-after']).toBe('5');

    redis = await startRedis(port);
    let back = await invokeHttp(health, { path: '/v1/health' });
    for (let i = 0; i < 20 && back.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250)); // ioredis reconnects with a short backoff
      back = await invokeHttp(health, { path: '/v1/health' });
    }
    expect(back).toMatchObject({ status: 200, body: { ready: true, checks: allOk } });
  });

  it('reuses its last answer for READINESS_CACHE_MS instead of checking on every call', async () => {
    appWith({ REDIS_URL: `redis://127.0.0.1:${port}`, READINESS_CACHE_MS: '60000' });
    const first = await invokeHttp(health, { path: '/v1/health' });
    expect(first).toMatchObject({ status: 200, body: { ready: true } });
    await redis.stop();
    // Within the minute the container does not look again: the same answer, the same check time.
    const cached = await invokeHttp(health, { path: '/v1/health' });
    expect(cached).toMatchObject({ status: 200, body: { ready: true, checkedAt: first.body.checkedAt } });
    redis = await startRedis(port);
  });
});

it('answers 503 naming DynamoDB when it does not answer', async () => {
  appWith({ DYNAMODB_ENDPOINT: await deadEndpoint() });
  expect(await invokeHttp(health, { path: '/v1/health' })).toMatchObject({
    status: 503,
    body: { ready: false, checks: { dynamodb: 'unavailable', redis: 'ok', sqs: 'ok' } },
  });
});

it('answers 503 naming DynamoDB when one of its tables does not exist', async () => {
  appWith({ TABLE_RESERVATIONS: 'concert-ticketing-no-such-table' });
  expect(await invokeHttp(health, { path: '/v1/health' })).toMatchObject({ status: 503, body: { checks: { dynamodb: 'unavailable', redis: 'ok', sqs: 'ok' } } });
});

it('answers 503 naming SQS when the emulator does not answer or the release queue does not exist', async () => {
  appWith({ SQS_ENDPOINT: await deadEndpoint() });
  expect(await invokeHttp(health, { path: '/v1/health' })).toMatchObject({ status: 503, body: { checks: { dynamodb: 'ok', redis: 'ok', sqs: 'unavailable' } } });
  appWith({ HOLD_RELEASE_QUEUE_NAME: 'concert-ticketing-no-such-queue' });
  expect(await invokeHttp(health, { path: '/v1/health' })).toMatchObject({ status: 503, body: { checks: { dynamodb: 'ok', redis: 'ok', sqs: 'unavailable' } } });
});
