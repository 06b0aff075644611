/**
 * The first seat race after start-up, over HTTP, as a user of `npm start` meets it: on a
 * stack of its own (started here, not the suite's shared one), so the 300 holds below
 * are the first its functions ever serve, on clients that have not opened a connection
 * to DynamoDB yet. Once 18-59 of these 300 answers were 503 DYNAMODB_UNAVAILABLE: time
 * spent waiting for a socket of the shared client counted as an outage. A queued
 * dependency is not a down one: one winner, 299 clean 409s, no 5xx.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir, startStack, type RunningStack } from '../../infra/local/stack';
import { freePort } from '../support/private-services';
import { givenActiveUsers, givenConcert, hold } from '../support/api';
import { auditAll } from '../support/invariants';
import { app } from '../../lib/app';

const DATE = '2027-03-01';
let stack: RunningStack | undefined;
const saved = { ...process.env };
// Its own bundles: the suite's serverless-offline keeps serving .esbuild/.build.
const workFolder = join('.esbuild', `first-race-${process.pid}`);

beforeAll(async () => {
  stack = await startStack({ stage: 'test', backend: 'embedded', httpPort: await freePort(), env: { LOG_LEVEL: 'WARN', ESBUILD_WORK_FOLDER: workFolder } });
  // This file's requests and its audit go to that stack (jest gives each file its own process.env).
  Object.assign(process.env, stack.env, { TEST_BASE_URL: stack.baseUrl });
}, 180_000);

afterAll(async () => {
  await app().close();
  await stack?.stop();
  rmSync(join(projectDir, workFolder), { recursive: true, force: true });
  process.env = saved;
});

it('answers the first race on one seat after start-up with one winner and 299 clean 409s, no 5xx', async () => {
  expect(stack!.baseUrl).not.toBe(saved.TEST_BASE_URL);
  const { concertId } = await givenConcert({ seats: 50 });
  const users = await givenActiveUsers(300, concertId);

  const outcomes = await Promise.all(users.map((u) => hold(u, concertId, DATE, 7)));

  expect(outcomes.filter((o) => o.status >= 500).map((o) => `${o.status} ${o.body?.error?.code}`)).toEqual([]);
  expect(outcomes.filter((o) => o.status === 201)).toHaveLength(1);
  expect(outcomes.filter((o) => o.status !== 201).map((o) => `${o.status} ${o.body.error.code}`)).toEqual(Array(299).fill('409 SEAT_UNAVAILABLE'));
  // The seat is held in this file's stack (its DynamoDB), not in the suite's.
  expect(await app().seats.getSeat(concertId, DATE, 7)).toMatchObject({ status: 'HELD' });
  expect((await auditAll(concertId, [DATE], users.map((u) => u.userId))).problems).toEqual([]);
});
