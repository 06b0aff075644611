/**
 * Local invocation (README "Local invocation") against the stack the global setup started,
 * with the sample events of test/events/, both ways a developer uses them:
 *  - `npm run invoke` (infra/local/invoke.ts: `serverless invoke local` with the stack's
 *    environment from the env file `npm start` writes): the admission job admits a waiting
 *    user. Its queue is in a private redis-server, named in a copy of the env file: the
 *    stack's own admission loop runs all the time on the shared Redis and would admit the
 *    user itself, and this must see the invocation do it. DynamoDB (the catalog), the
 *    stage and the secrets still come from the stack's file.
 *  - serverless-offline's Lambda invoke API (LAMBDA_PORT) with the AWS SDK's Lambda client:
 *    the release consumer frees an expired hold whose release message never reached the
 *    queue (held in-process with SQS unreachable, so the stack's own consumer never sees
 *    it, and within the sweep's grace); the sample HTTP events answer as the API does.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSEvent } from 'aws-lambda';
import { createApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { parseQueueToken, queueKey } from '../../lib/queue/keys';
import { enterQueue } from '../../lib/use-cases/enter-queue';
import { projectDir } from '../../infra/local/stack';
import { readStackEnv, writeStackEnv } from '../../infra/local/stack-env';
import { api, sleep, uniqueId } from '../support/api';
import { auditSeats } from '../support/invariants';
import { deadEndpoint, freePort, startRedis, type Child } from '../support/private-services';
import { quietLogs } from '../support/quiet-logs';

const stage = process.env.STAGE!;
const sample = <T = any>(name: string): T => JSON.parse(readFileSync(join(projectDir, 'test', 'events', name), 'utf8'));

/** `npm run invoke -- <args>` as a developer types it, with `extraEnv` on top of this process's. */
function npmRunInvoke(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'invoke', '--', ...args], { cwd: projectDir, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The result serverless invoke local prints last (pretty JSON after the function's log lines). */
function printedResult(stdout: string): any {
  const start = stdout.lastIndexOf('\n{\n');
  return JSON.parse(start >= 0 ? stdout.slice(start + 1) : stdout);
}

describe('npm run invoke (serverless invoke local with the stack environment)', () => {
  let redis: Child;
  let app: App;
  let envFile: string;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    // The polls below read right after the invocation, sooner than the poll schedule allows.
    app = createApp(loadConfig({ ...process.env, REDIS_URL: redisUrl, QUEUE_POLL_MIN_FRACTION: '0.0001' }));
    envFile = join(tmpdir(), `local-invoke-${process.pid}.env`);
    writeStackEnv({ ...readStackEnv(process.env.TEST_STACK_ENV_FILE!), REDIS_URL: redisUrl }, envFile);
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
    rmSync(envFile, { force: true });
  });

  it('runs the admission job on the schedule sample event and admits the user waiting for an ended session', async () => {
    const concertId = uniqueId('invoke-admit');
    await app.catalog.createConcert({ concertId, name: 'Local invoke', dates: [{ date: '2027-10-01', totalSeats: 5, price: 10_000, priceTiers: [] }] });
    // One slot; the first user's session lasts 1 s, the next ones' the usual length.
    await app.waitingRoom.configure(concertId, { maxActive: 1, admissionsPerSecond: 1000, activeSessionSeconds: 1 });
    const first = await enterQueue(app, `${concertId}-first`, concertId);
    await app.waitingRoom.configure(concertId, { activeSessionSeconds: 600 });
    const second = await enterQueue(app, `${concertId}-second`, concertId);
    expect([first.ticket.status, second.ticket.status]).toEqual(['ACTIVE', 'WAITING']);
    // The first session ends after 1 s; here only an admission run ends it and admits the second.
    await sleep(1_200);
    const secondTokenId = parseQueueToken(second.ticket.token)!.tokenId;
    const waiting = () => app.clients.redis.zscore(queueKey(concertId, 'waiting'), secondTokenId);
    const active = () => app.clients.redis.zscore(queueKey(concertId, 'active'), secondTokenId);
    expect([await waiting(), await active()]).toEqual([expect.any(String), null]);

    const run = await npmRunInvoke(['--function', 'admitWaitingUsers', '--path', 'test/events/schedule-admit-waiting-users.json'], {
      LOCAL_STACK_ENV: envFile,
      // One admission pass or a few instead of a minute of them (serverless.yml reads it from the environment).
      ADMISSION_RUN_SECONDS: '1',
    });

    expect(run).toMatchObject({ code: 0 });
    expect(printedResult(run.stdout)).toEqual({ passes: expect.any(Number), admitted: 1 });
    expect([await waiting(), await active()]).toEqual([null, expect.any(String)]);
    expect((await app.waitingRoom.status(second.ticket.token, `${concertId}-second`)).status).toBe('ACTIVE');
  });

  it('refuses with a clear message when no stack is running', async () => {
    const run = await npmRunInvoke(['--function', 'health', '--path', 'test/events/http-get-health.json'], { LOCAL_STACK_ENV: join(tmpdir(), `no-stack-${process.pid}.env`) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no running stack');
    expect(run.stderr).toContain('npm start');
  });
});

describe("serverless-offline's Lambda invoke API (AWS SDK Lambda client)", () => {
  let lambda: LambdaClient;
  let app: App;

  quietLogs(); // the holds below cannot schedule their release (SQS unreachable): expected

  beforeAll(async () => {
    lambda = new LambdaClient({
      endpoint: `http://127.0.0.1:${process.env.TEST_LAMBDA_PORT}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    app = createApp(loadConfig({ ...process.env, SQS_ENDPOINT: await deadEndpoint(), DEPENDENCY_TIMEOUT_MS: '300' }));
  });
  afterAll(async () => {
    lambda.destroy();
    await app.close();
  });

  async function invoke(functionKey: string, event: unknown) {
    const res = await lambda.send(new InvokeCommand({ FunctionName: `concert-ticketing-${stage}-${functionKey}`, Payload: Buffer.from(JSON.stringify(event)) }));
    return { functionError: res.FunctionError, payload: JSON.parse(Buffer.from(res.Payload!).toString('utf8')) };
  }

  it('runs the release consumer on an SQS batch and frees an expired hold whose message was never sent', async () => {
    const concertId = uniqueId('invoke-release');
    const date = '2027-10-02';
    await app.catalog.createConcert({ concertId, name: 'Local invoke release', holdSeconds: 1, dates: [{ date, totalSeats: 3, price: 10_000, priceTiers: [] }] });
    const held = await app.holds.holdSeat({ userId: `${concertId}-holder`, concertId, date, seatNo: 2 });
    await sleep(1_100);
    // Expired, but still HELD in DynamoDB: nothing has released it.
    expect(await app.seats.getSeat(concertId, date, 2)).toMatchObject({ status: 'HELD', reservationId: held.reservationId });

    const event = sample<SQSEvent>('sqs-release-hold.json');
    event.Records[0]!.body = JSON.stringify({ reservationId: held.reservationId, expiresAt: Date.parse(held.expiresAt) });
    const res = await invoke('releaseHold', event);

    expect(res).toEqual({ functionError: undefined, payload: { batchItemFailures: [] } });
    expect((await app.seats.getSeat(concertId, date, 2))!.status).toBe('AVAILABLE');
    expect((await app.holds.ownReservation(`${concertId}-holder`, held.reservationId)).status).toBe('EXPIRED');
    expect((await auditSeats(concertId, [date])).problems).toEqual([]);
  });

  it('answers the sample HTTP API events as the API answers over HTTP', async () => {
    const health = await invoke('health', sample('http-get-health.json'));
    expect(health).toMatchObject({ functionError: undefined, payload: { statusCode: 200 } });
    expect(JSON.parse(health.payload.body)).toMatchObject({ status: 'ok' });

    const concerts = await invoke('concertsList', sample('http-get-concerts.json'));
    expect(concerts.payload.statusCode).toBe(200);
    expect(JSON.parse(concerts.payload.body).concerts).toEqual(expect.any(Array));

    const minted = await invoke('devTokens', sample('http-post-dev-tokens.json'));
    expect(minted.payload.statusCode).toBe(201);
    const { token } = JSON.parse(minted.payload.body);
    // The token is signed with the stack's secret: the API over HTTP takes it.
    expect(await api('GET', '/v1/balance', { token })).toMatchObject({ status: 200, body: { userId: 'alice' } });
  });

  it('is what `npm run invoke -- --offline` calls', async () => {
    const run = await npmRunInvoke(['--offline', '--function', 'health', '--path', 'test/events/http-get-health.json'], { LOCAL_STACK_ENV: process.env.TEST_STACK_ENV_FILE! });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });
  });
});
