/**
 * On deployed stages only the functions that use Redis run in the ElastiCache VPC
 * (infra/redis.js); the others have no route to the cluster. This proves those others
 * really never send a Redis command: each one declared outside the VPC by the prod stage
 * is invoked in-process, with real data in DynamoDB Local, by an app whose Redis client
 * points at a port nothing listens on. Each must answer 200 and the client must never
 * have tried to connect (its connection opens on the first command, lib/clients/redis.ts).
 */
import { createApp, useApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { printService } from '../../infra/local/resources';
import { projectDir } from '../../infra/local/stack';
import { freePort } from '../support/private-services';
import { invokeHttp, type HttpCall } from '../support/lambda';
import { charge, enterAndWaitActive, givenConcert, givenUser, hold, payFor } from '../support/api';

/** An environment with nothing of this machine's stack in it (what CI packages with). */
const cleanEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'fake', AWS_SECRET_ACCESS_KEY: 'fake', AWS_REGION: 'us-east-1' });

let app: App;
afterAll(async () => {
  useApp(undefined);
  await app?.close();
});

it('runs the functions outside the VPC without a single Redis command', async () => {
  const prod = await printService(projectDir, 'prod', cleanEnv());
  const declared = Object.assign({}, ...(Array.isArray(prod.functions) ? prod.functions : [prod.functions])) as Record<string, any>;
  const outside = Object.entries(declared).filter(([, f]) => !f.vpc);
  const inside = Object.entries(declared).filter(([, f]) => f.vpc);
  expect(inside.length).toBeGreaterThan(10);
  expect(inside.map(([, f]) => f.vpc)).toEqual(inside.map(() => expect.objectContaining({ subnetIds: expect.any(Array), securityGroupIds: expect.any(Array) })));

  // Real data for the reads: a paid seat, so the reservation, balance history and payment list are not empty.
  const { concertId, dates } = await givenConcert({ seats: 5, price: 10_000 });
  const user = await givenUser('novpc');
  expect((await charge(user, 30_000)).status).toBe(201);
  const active = { ...user, queueToken: await enterAndWaitActive(user, concertId) };
  const held = await hold(active, concertId, dates[0]!, 1);
  expect(held.status).toBe(201);
  const reservationId: string = held.body.reservationId;
  expect((await payFor(active, reservationId)).status).toBe(201);

  const port = await freePort(); // nothing listens here
  app = createApp(loadConfig({ ...process.env, REDIS_URL: `redis://127.0.0.1:${port}` }));
  useApp(app);
  const auth = { authorization: `Bearer ${await app.identity.issueDevToken(user.userId, false)}` };

  /** How each function outside the VPC is called; a new one must be added here. */
  const calls: Record<string, HttpCall> = {
    openapiDocument: { path: '/v1/openapi.json' },
    concertsList: { path: '/v1/concerts' },
    reservationGet: { path: `/v1/reservations/${reservationId}`, pathParameters: { reservationId }, headers: auth },
    balanceGet: { path: '/v1/balance', headers: auth },
    balanceHistory: { path: '/v1/balance/history', headers: auth },
    paymentList: { path: '/v1/payments', headers: auth },
  };
  expect(outside.map(([name]) => name).sort()).toEqual(Object.keys(calls).sort());

  const status: Record<string, number> = {};
  const body: Record<string, any> = {};
  for (const [name, f] of outside) {
    const { handler } = await import(`../../${String(f.handler).replace(/\.handler$/, '')}`);
    const res = await invokeHttp(handler, { method: 'GET', ...calls[name]! });
    status[name] = res.status;
    body[name] = res.body;
  }
  expect(status).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, 200])));
  // The data was really read, not an empty answer that needed nothing.
  expect(body.reservationGet.status).toBe('CONFIRMED');
  expect(body.balanceGet.balance).toBe(20_000);
  expect(body.paymentList.payments.map((p: any) => p.reservationId)).toEqual([reservationId]);
  expect(body.concertsList.concerts.map((c: any) => c.concertId)).toContain(concertId);
  expect(Object.keys(body.openapiDocument.paths)).toEqual(expect.arrayContaining(['/v1/openapi.json', '/v1/queue/status']));
  // No command was ever sent: the client never even tried to connect.
  expect(app.clients.redis.status).toBe('wait');
});
