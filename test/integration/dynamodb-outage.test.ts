/**
 * DynamoDB stopped mid-test: charges, holds and payments answer 503 with a clear code,
 * nothing is half-written (balance, seat, reservation and queue session unchanged),
 * and the same requests succeed once DynamoDB is back. A private DynamoDB Local with
 * an on-disk database keeps its data across the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { quietLogs } from '../support/quiet-logs';
import { handler as enter } from '../../functions/http/queue/enter';
import { handler as status } from '../../functions/http/queue/status';
import { handler as charge } from '../../functions/http/balance/charge';
import { handler as balance } from '../../functions/http/balance/get';
import { handler as hold } from '../../functions/http/reservations/hold';
import { handler as pay } from '../../functions/http/payments/pay';
import { handler as seats } from '../../functions/http/concerts/seats';
import { createTables, freePort, startDynamo, type Child } from '../support/private-services';
import { invokeHttp } from '../support/lambda';
import { uniqueId } from '../support/api';

let port: number;
let dynamo: Child;
let dbPath: string;
let app: App;
const h = { enter, status, charge, balance, hold, pay, seats };

quietLogs(); // the outage is expected

beforeAll(async () => {
  port = await freePort();
  dbPath = mkdtempSync(join(tmpdir(), 'ddb-outage-'));
  dynamo = await startDynamo(port, { dbPath, heapMb: 256 });
  const endpoint = `http://127.0.0.1:${port}`;
  await createTables(endpoint);
  app = createApp(loadConfig({ ...process.env, DYNAMODB_ENDPOINT: endpoint, DEPENDENCY_TIMEOUT_MS: '500' }));
  useApp(app);
});

afterAll(async () => {
  await app.close();
  await dynamo.stop();
  rmSync(dbPath, { recursive: true, force: true });
});

it('answers 503 DYNAMODB_UNAVAILABLE while DynamoDB is down, half-writes nothing, and recovers', async () => {
  const concertId = uniqueId('ddb-down');
  const date = '2027-06-01';
  await app.catalog.createConcert({ concertId, name: 'Outage', dates: [{ date, totalSeats: 10, price: 30_000, priceTiers: [] }] });
  const auth = { authorization: `Bearer ${await app.identity.issueDevToken(uniqueId('carol'), false)}` };
  const queueToken = (await invokeHttp(h.enter, { method: 'POST', headers: auth, body: { concertId } })).body.token;
  const gated = { ...auth, 'x-queue-token': queueToken };
  expect((await invokeHttp(h.charge, { method: 'POST', headers: { ...auth, 'idempotency-key': 'outage-charge-0' }, body: { amount: 100_000 } })).status).toBe(201);
  const held = await invokeHttp(h.hold, { method: 'POST', headers: gated, body: { concertId, date, seatNo: 2 } });
  expect(held.status).toBe(201);

  await dynamo.stop();

  const down = {
    charge: await invokeHttp(h.charge, { method: 'POST', headers: { ...auth, 'idempotency-key': 'outage-charge-1' }, body: { amount: 5_000 } }),
    hold: await invokeHttp(h.hold, { method: 'POST', headers: gated, body: { concertId, date, seatNo: 3 } }),
    pay: await invokeHttp(h.pay, { method: 'POST', headers: { ...gated, 'idempotency-key': 'outage-pay-1' }, body: { reservationId: held.body.reservationId } }),
    balance: await invokeHttp(h.balance, { headers: auth }),
  };
  for (const res of Object.values(down)) {
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DYNAMODB_UNAVAILABLE');
  }
  // The queue session was not ended by the failed payment.
  expect((await invokeHttp(h.status, { headers: gated })).body.status).toBe('ACTIVE');

  dynamo = await startDynamo(port, { dbPath, heapMb: 256 });

  expect((await invokeHttp(h.balance, { headers: auth })).body.balance).toBe(100_000);
  const seats = (await invokeHttp(h.seats, { headers: gated, pathParameters: { concertId, date } })).body.seats;
  expect(seats.filter((s: { status: string }) => s.status !== 'AVAILABLE')).toEqual([{ seatNo: 2, status: 'HELD', price: 30_000 }]);

  // The same requests now succeed, once each.
  const paid = await invokeHttp(h.pay, { method: 'POST', headers: { ...gated, 'idempotency-key': 'outage-pay-1' }, body: { reservationId: held.body.reservationId } });
  expect(paid.status).toBe(201);
  expect(paid.body.balance).toBe(70_000);
  expect((await invokeHttp(h.charge, { method: 'POST', headers: { ...auth, 'idempotency-key': 'outage-charge-1' }, body: { amount: 5_000 } })).body.balance).toBe(75_000);
});
