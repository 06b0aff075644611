/**
 * Redis stopped mid-test: the queue and the gated booking endpoints answer 503 with a
 * clear code, nothing is written to DynamoDB, and everything recovers once Redis is
 * back. The handlers run in-process through their real middy stack, composed (lib/app.ts)
 * with a private redis-server (so the shared one of the other tests is not disturbed)
 * and the shared DynamoDB Local.
 */
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { quietLogs } from '../support/quiet-logs';
import { handler as enter } from '../../functions/http/queue/enter';
import { handler as status } from '../../functions/http/queue/status';
import { handler as hold } from '../../functions/http/reservations/hold';
import { freePort, startRedis, type Child } from '../support/private-services';
import { invokeHttp } from '../support/lambda';
import { sleep, uniqueId } from '../support/api';

let port: number;
let redis: Child;
let app: App;
const mintToken = (userId: string) => app.identity.issueDevToken(userId, false);

quietLogs(); // the outage is expected

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  app = createApp(loadConfig({ ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, DEPENDENCY_TIMEOUT_MS: '500' }));
  useApp(app);
});

afterAll(async () => {
  await app.close();
  await redis.stop();
});

it('answers 503 REDIS_UNAVAILABLE while Redis is down, changes nothing, and recovers when it is back', async () => {
  const concertId = uniqueId('redis-down');
  await app.catalog.createConcert({ concertId, name: 'Outage', dates: [{ date: '2027-05-01', totalSeats: 10, price: 1000, priceTiers: [] }] });
  const alice = await mintToken(uniqueId('alice'));
  const entered = await invokeHttp(enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  expect(entered.status).toBe(201);
  const queueToken = entered.body.token;

  await redis.stop();

  const enterDown = await invokeHttp(enter, { method: 'POST', headers: { authorization: `Bearer ${await mintToken(uniqueId('bob'))}` }, body: { concertId } });
  const statusDown = await invokeHttp(status, { headers: { authorization: `Bearer ${alice}`, 'x-queue-token': queueToken } });
  const holdDown = await invokeHttp(hold, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'x-queue-token': queueToken },
    body: { concertId, date: '2027-05-01', seatNo: 1 },
  });

  for (const res of [enterDown, statusDown, holdDown]) {
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  }
  expect((await app.seats.getSeat(concertId, '2027-05-01', 1))!.status).toBe('AVAILABLE');

  redis = await startRedis(port); // back, empty (no persistence): the queue starts afresh
  let again = await invokeHttp(enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  for (let i = 0; i < 40 && again.status === 503; i++) {
    await sleep(250);
    again = await invokeHttp(enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  }
  expect(again.status).toBe(201);
  expect(again.body.status).toBe('ACTIVE');
});
