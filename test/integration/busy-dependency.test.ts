/**
 * A busy dependency is not a down one. When more requests are in flight than the client
 * has sockets (a burst in one container; every function of serverless-offline in one
 * process), the rest wait for a free socket. The SDK's own connectionTimeout counted that
 * wait as a failed connect, so a merely busy DynamoDB Local was answered 503 (the first
 * 300-user race after `npm start` gave 18-59 of them). lib/clients/aws.ts times only the
 * connect itself:
 *  - hundreds of reads queued behind the socket pool for longer than the dependency
 *    timeout all succeed;
 *  - a connect that never completes still fails after the timeout, as an outage (503).
 */
import http from 'node:http';
import { Duplex } from 'node:stream';
import { createApp, type App } from '../../lib/app';
import { AWS_MAX_SOCKETS, connectTimeoutAgent } from '../../lib/clients/aws';
import { isAwsUnavailable } from '../../lib/clients/dependency-errors';
import { loadConfig } from '../../lib/config';
import { uniqueId } from '../support/api';

const TIMEOUT_MS = 300;
const DATE = '2027-01-01';
let app: App;

beforeAll(() => {
  app = createApp(loadConfig({ ...process.env, DEPENDENCY_TIMEOUT_MS: String(TIMEOUT_MS) }));
});
afterAll(() => app.close());

const readAll = (concertId: string, n: number) =>
  Promise.allSettled(Array.from({ length: n }, (_, i) => app.seats.getSeat(concertId, DATE, (i % 10) + 1)));

it('answers reads that waited for a socket longer than the dependency timeout', async () => {
  const concertId = uniqueId('busy');
  await app.catalog.createConcert({ concertId, name: 'Busy', dates: [{ date: DATE, totalSeats: 10, price: 10_000, priceTiers: [] }] });
  // How long one pool's worth of reads takes here; then enough reads that the last ones
  // wait for a socket at least three timeouts long, however fast this machine is.
  const started = Date.now();
  await readAll(concertId, AWS_MAX_SOCKETS);
  const roundMs = Math.max(1, Date.now() - started);
  const n = Math.min(20_000, Math.max(500, Math.ceil((3 * TIMEOUT_MS) / roundMs) * AWS_MAX_SOCKETS));

  const results = await readAll(concertId, n);

  const failed = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message);
  expect(failed).toEqual([]);
  expect(results.every((r) => r.status === 'fulfilled' && r.value?.status === 'AVAILABLE')).toBe(true);
});

it('still fails a connect that never completes after the timeout, as an outage', async () => {
  // A connection that never completes (what a blackholed address gives): a stream
  // that takes the request and never says "connect" nor answers.
  class NeverConnects extends http.Agent {
    override createConnection(): Duplex {
      return new Duplex({ read() {}, write(_chunk, _enc, done) { done(); } });
    }
  }
  const agent = connectTimeoutAgent(NeverConnects, 100);
  try {
    const error = await new Promise<Error>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: 9, agent }, () => reject(new Error('answered')));
      req.on('error', resolve);
    });
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(isAwsUnavailable(error)).toBe(true);
  } finally {
    agent.destroy();
  }
});
