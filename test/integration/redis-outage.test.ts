/**
 * Redis stopped mid-test: the queue and the gated booking endpoints answer 503 with a
 * clear code, nothing is written to DynamoDB, and everything recovers once Redis is
 * back. The handlers run in-process through their real middy stack against a private
 * redis-server (so the shared one of the other tests is not disturbed) and the shared
 * DynamoDB Local.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freePort, startRedis, type Child } from '../support/private-services';
import { invokeHttp } from '../support/lambda';
import { sleep, uniqueId } from '../support/api';

let port: number;
let mintToken: (userId: string) => Promise<string>;
let redis: Child;
let handlers: {
  enter: unknown;
  status: unknown;
  hold: unknown;
};
let lib: { ddb: typeof import('../../lib/clients/dynamodb'); catalog: typeof import('../../lib/booking/catalog'); keys: typeof import('../../lib/booking/keys') };

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  process.env.DEPENDENCY_TIMEOUT_MS = '500';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL'; // the outage is expected; keep its error logs out of the test output
  // Everything that reads the configuration is imported only now (see the env above).
  mintToken = (await import('../support/tokens')).mintToken;
  // Imported only now, so their clients are built for the private Redis.
  handlers = {
    enter: (await import('../../functions/http/queue/enter')).handler,
    status: (await import('../../functions/http/queue/status')).handler,
    hold: (await import('../../functions/http/reservations/hold')).handler,
  };
  lib = {
    ddb: await import('../../lib/clients/dynamodb'),
    catalog: await import('../../lib/booking/catalog'),
    keys: await import('../../lib/booking/keys'),
  };
});

afterAll(async () => {
  (await import('../../lib/clients/redis')).redis.disconnect();
  await redis.stop();
});

it('answers 503 REDIS_UNAVAILABLE while Redis is down, changes nothing, and recovers when it is back', async () => {
  const concertId = uniqueId('redis-down');
  await lib.catalog.createConcert({ concertId, name: 'Outage', dates: [{ date: '2027-05-01', totalSeats: 10, price: 1000, priceTiers: [] }] });
  const alice = await mintToken(uniqueId('alice'));
  const entered = await invokeHttp(handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  expect(entered.status).toBe(201);
  const queueToken = entered.body.token;

  await redis.stop();

  const enterDown = await invokeHttp(handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${await mintToken(uniqueId('bob'))}` }, body: { concertId } });
  const statusDown = await invokeHttp(handlers.status, { headers: { authorization: `Bearer ${alice}`, 'x-queue-token': queueToken } });
  const holdDown = await invokeHttp(handlers.hold, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice}`, 'x-queue-token': queueToken },
    body: { concertId, date: '2027-05-01', seatNo: 1 },
  });

  for (const res of [enterDown, statusDown, holdDown]) {
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
  }
  const seat = await lib.ddb.ddb.send(new GetCommand({ TableName: lib.ddb.tables.seats, Key: lib.keys.seatKey(concertId, '2027-05-01', 1), ConsistentRead: true }));
  expect(seat.Item!.status).toBe('AVAILABLE');

  redis = await startRedis(port); // back, empty (no persistence): the queue starts afresh
  let again = await invokeHttp(handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  for (let i = 0; i < 40 && again.status === 503; i++) {
    await sleep(250);
    again = await invokeHttp(handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${alice}` }, body: { concertId } });
  }
  expect(again.status).toBe(201);
  expect(again.body.status).toBe('ACTIVE');
});
