/**
 * Redis as it fails on ElastiCache, with a private redis-server keeping an AOF
 * (`appendfsync everysec`) in a temporary directory:
 *  - killed with SIGKILL and restarted: waiting users keep their places and order,
 *    active sessions keep their expiry, and admission carries on by itself;
 *  - restarted from an older state (the last writes lost, as after an asynchronous
 *    failover): a token Redis no longer knows is answered 401 QUEUE_TOKEN_UNKNOWN
 *    ("enter again"), never a 5xx; the user enters again and gets a place; the active
 *    set never exceeds its maximum.
 * The domain runs in-process (lib/app.ts) against that Redis and the shared DynamoDB Local.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { enterQueue } from '../../lib/use-cases/enter-queue';
import { freePort, startRedis, type Child } from '../support/private-services';
import { sleep, uniqueId } from '../support/api';
import { quietLogs } from '../support/quiet-logs';

const DATE = '2027-09-01';
const MAX_ACTIVE = 2;
let port: number;
let dataDir: string;
let redis: Child;
let app: App;

quietLogs(); // the restarts are expected

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'redis-aof-'));
  redis = await startRedis(port, { dataDir });
  app = createApp(
    loadConfig({
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      // The test reads every user's status right after the restart, sooner than the
      // poll schedule would allow a client; the limit itself is tested elsewhere.
      QUEUE_POLL_MIN_FRACTION: '0.0001',
    }),
  );
});

afterAll(async () => {
  await app.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Until the app's connection answers again (ioredis reconnects by itself). */
async function redisBack() {
  for (let i = 0; i < 200; i++) {
    try {
      await app.clients.redis.ping();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the app did not reconnect to Redis');
}

async function restart(fromDir = dataDir) {
  await redis.kill();
  if (fromDir !== dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
    cpSync(fromDir, dataDir, { recursive: true });
  }
  redis = await startRedis(port, { dataDir });
  await redisBack();
}

async function concertWithQueue() {
  const concertId = uniqueId('restart');
  await app.catalog.createConcert({ concertId, name: 'Restart', dates: [{ date: DATE, totalSeats: 20, price: 10_000, priceTiers: [] }] });
  await app.waitingRoom.configure(concertId, { maxActive: MAX_ACTIVE, admissionsPerSecond: 1000, activeSessionSeconds: 120 });
  return concertId;
}

async function enterAll(concertId: string, users: string[]) {
  const tokens: Record<string, string> = {};
  for (const u of users) tokens[u] = (await enterQueue(app, u, concertId)).ticket.token;
  await app.waitingRoom.admit(concertId);
  return tokens;
}

async function statuses(tokens: Record<string, string>) {
  const out: Record<string, { status: string; position?: number | null; activeUntil?: string | null }> = {};
  for (const [u, t] of Object.entries(tokens)) {
    const v = await app.waitingRoom.status(t, u);
    out[u] = { status: v.status, position: v.position ?? null, activeUntil: v.status === 'ACTIVE' ? v.activeUntil : null };
  }
  return out;
}

it('keeps places, order and session expiries across a kill -9 and restart, and admission carries on', async () => {
  const concertId = await concertWithQueue();
  const users = Array.from({ length: 6 }, (_, i) => `${concertId}-u${i}`);
  const tokens = await enterAll(concertId, users);
  const before = await statuses(tokens);
  expect(Object.values(before).map((s) => s.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITING', 'WAITING', 'WAITING', 'WAITING']);
  expect(users.slice(2).map((u) => before[u]!.position)).toEqual([1, 2, 3, 4]);

  await sleep(1_100); // appendfsync everysec: what is a second old is on disk
  await restart();

  expect(await statuses(tokens)).toEqual(before);
  // Admission goes on from the restored state: a slot that frees goes to the next in line.
  await app.waitingRoom.leave(tokens[users[0]!], users[0]!);
  await app.waitingRoom.admit(concertId);
  const after = await statuses(tokens);
  expect(after[users[2]!]!.status).toBe('ACTIVE');
  expect(users.slice(3).map((u) => after[u]!.position)).toEqual([1, 2, 3]);
  expect((await app.waitingRoom.figures(concertId)).active).toBeLessThanOrEqual(MAX_ACTIVE);
});

it('answers tokens lost with the last writes 401 QUEUE_TOKEN_UNKNOWN; the user enters again and the active set stays within its maximum', async () => {
  const concertId = await concertWithQueue();
  const early = Array.from({ length: 3 }, (_, i) => `${concertId}-early${i}`);
  const late = Array.from({ length: 3 }, (_, i) => `${concertId}-late${i}`);
  const earlyTokens = await enterAll(concertId, early);
  await sleep(1_100);
  // The state a replica had: everything up to here, nothing after.
  const older = mkdtempSync(join(tmpdir(), 'redis-older-'));
  cpSync(dataDir, older, { recursive: true });
  const lateTokens = await enterAll(concertId, late);
  // An active user leaves and the next is admitted: both writes are lost too.
  await app.waitingRoom.leave(earlyTokens[early[0]!], early[0]!);
  await app.waitingRoom.admit(concertId);
  await sleep(1_100);

  await restart(older);
  rmSync(older, { recursive: true, force: true });

  for (const u of late) {
    await expect(app.waitingRoom.status(lateTokens[u], u)).rejects.toMatchObject({ status: 401, code: 'QUEUE_TOKEN_UNKNOWN' });
    await expect(app.waitingRoom.requireActive(lateTokens[u], u, concertId)).rejects.toMatchObject({ status: 401, code: 'QUEUE_TOKEN_UNKNOWN' });
  }
  // The early users are as the older state had them, the leaver active again.
  expect(Object.values(await statuses(earlyTokens)).map((s) => s.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITING']);
  // The late users enter again and queue behind.
  const again = await enterAll(concertId, late);
  const now = await statuses(again);
  expect(late.map((u) => now[u]!.status)).toEqual(['WAITING', 'WAITING', 'WAITING']);
  expect(late.map((u) => now[u]!.position)).toEqual([2, 3, 4]);
  expect((await app.waitingRoom.figures(concertId)).active).toBeLessThanOrEqual(MAX_ACTIVE);
});
