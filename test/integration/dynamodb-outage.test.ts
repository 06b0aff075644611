/**
 * DynamoDB stopped mid-test: charges, holds and payments answer 503 with a clear code,
 * nothing is half-written (balance, seat, reservation and queue session unchanged),
 * and the same requests succeed once DynamoDB is back. A private DynamoDB Local with
 * an on-disk database keeps its data across the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTables, freePort, startDynamo, type Child } from '../support/private-services';
import { invokeHttp } from '../support/lambda';
import { uniqueId } from '../support/api';

let port: number;
let mintToken: (userId: string) => Promise<string>;
let dynamo: Child;
let dbPath: string;
const h: Record<string, unknown> = {};
let catalog: typeof import('../../lib/booking/catalog');

beforeAll(async () => {
  port = await freePort();
  dbPath = mkdtempSync(join(tmpdir(), 'ddb-outage-'));
  dynamo = await startDynamo(port, { dbPath, heapMb: 256 });
  const endpoint = `http://127.0.0.1:${port}`;
  await createTables(endpoint);
  process.env.DYNAMODB_ENDPOINT = endpoint;
  process.env.DEPENDENCY_TIMEOUT_MS = '500';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL'; // the outage is expected; keep its error logs out of the test output
  // Everything that reads the configuration is imported only now (see the env above).
  mintToken = (await import('../support/tokens')).mintToken;
  for (const [name, path] of Object.entries({
    enter: 'queue/enter',
    status: 'queue/status',
    charge: 'balance/charge',
    balance: 'balance/get',
    hold: 'reservations/hold',
    pay: 'payments/pay',
    seats: 'concerts/seats',
  })) {
    h[name] = (await import(`../../functions/http/${path}`)).handler;
  }
  catalog = await import('../../lib/booking/catalog');
});

afterAll(async () => {
  (await import('../../lib/clients/redis')).redis.disconnect();
  await dynamo.stop();
  rmSync(dbPath, { recursive: true, force: true });
});

it('answers 503 DYNAMODB_UNAVAILABLE while DynamoDB is down, half-writes nothing, and recovers', async () => {
  const concertId = uniqueId('ddb-down');
  const date = '2027-06-01';
  await catalog.createConcert({ concertId, name: 'Outage', dates: [{ date, totalSeats: 10, price: 30_000, priceTiers: [] }] });
  const auth = { authorization: `Bearer ${await mintToken(uniqueId('carol'))}` };
  const queueToken = (await invokeHttp(h.enter, { method: 'POST', headers: auth, body: { concertId } })).body.token;
  const gated = { ...auth, 'x-queue-token': queueToken };
  expect((await invokeHttp(h.charge, { method: 'POST', headers: auth, body: { amount: 100_000 } })).status).toBe(201);
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
