/**
 * SQS unreachable: a hold is still granted (the release message cannot be sent), the
 * seat reads AVAILABLE the moment the hold expires and another user can hold it, and a
 * release message that turns up later (even twice) leaves the new holder alone.
 * Runs the domain code in-process against the shared DynamoDB Local with SQS pointed
 * at a port where nothing listens.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freePort } from '../support/private-services';
import { sleep, uniqueId } from '../support/api';

let holds: typeof import('../../lib/booking/holds');
let seats: typeof import('../../lib/booking/seats');
let catalog: typeof import('../../lib/booking/catalog');
let consumer: typeof import('../../lib/booking/release-consumer');
let clients: typeof import('../../lib/clients/dynamodb');
let keys: typeof import('../../lib/booking/keys');

beforeAll(async () => {
  process.env.SQS_ENDPOINT = `http://127.0.0.1:${await freePort()}`;
  process.env.DEPENDENCY_TIMEOUT_MS = '300';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL'; // the failed sends are expected
  holds = await import('../../lib/booking/holds');
  seats = await import('../../lib/booking/seats');
  catalog = await import('../../lib/booking/catalog');
  consumer = await import('../../lib/booking/release-consumer');
  clients = await import('../../lib/clients/dynamodb');
  keys = await import('../../lib/booking/keys');
});

it('keeps holds ending on time without SQS, and a late duplicate release does not disturb the next holder', async () => {
  const concertId = uniqueId('sqs-down');
  const date = '2027-07-01';
  await catalog.createConcert({ concertId, name: 'No SQS', holdSeconds: 1, dates: [{ date, totalSeats: 5, price: 10_000, priceTiers: [] }] });

  const first = await holds.holdSeat({ userId: 'alice', concertId, date, seatNo: 3 });
  expect(first.status).toBe('HELD');
  expect((await seats.listSeats(concertId, date)).seats[2]!.status).toBe('HELD');

  await sleep(1100);
  expect((await seats.listSeats(concertId, date)).seats[2]!.status).toBe('AVAILABLE');
  const second = await holds.holdSeat({ userId: 'bob', concertId, date, seatNo: 3 });

  const message = JSON.stringify({ reservationId: first.reservationId, expiresAt: Date.parse(first.expiresAt) });
  await consumer.handleReleaseMessage(message);
  await consumer.handleReleaseMessage(message);

  const seat = (await clients.ddb.send(new GetCommand({ TableName: clients.tables.seats, Key: keys.seatKey(concertId, date, 3), ConsistentRead: true }))).Item!;
  expect(seat).toMatchObject({ status: 'HELD', holderId: 'bob', reservationId: second.reservationId });
  expect((await holds.getOwnReservation('alice', first.reservationId)).status).toBe('EXPIRED');
  expect((await holds.getOwnReservation('bob', second.reservationId)).status).toBe('HELD');
  // Alice's expired hold no longer counts against her limit.
  expect((await holds.holdSeat({ userId: 'alice', concertId, date, seatNo: 4 })).status).toBe('HELD');
});

it('lets the scheduled sweep free seats whose release message never came', async () => {
  const concertId = uniqueId('sweep');
  const date = '2027-07-02';
  await catalog.createConcert({ concertId, name: 'Sweep', holdSeconds: 1, dates: [{ date, totalSeats: 5, price: 10_000, priceTiers: [] }] });
  const held = await holds.holdSeat({ userId: 'dave', concertId, date, seatNo: 1 });
  await sleep(1100);

  const swept = await holds.sweepExpiredHolds(Date.now(), 0);

  expect(swept.released).toBeGreaterThanOrEqual(1);
  const seat = (await clients.ddb.send(new GetCommand({ TableName: clients.tables.seats, Key: keys.seatKey(concertId, date, 1), ConsistentRead: true }))).Item!;
  expect(seat.status).toBe('AVAILABLE');
  expect(seat.heldShard).toBeUndefined();
  expect((await holds.getOwnReservation('dave', held.reservationId)).status).toBe('EXPIRED');
});
