/**
 * The waiting room on a real 3-master Redis Cluster (`npm run test:cluster`): each
 * concert's keys share the hash tag {q:<concertId>}, so they sit in one slot of one
 * master and every script runs there; two concerts on different masters both queue and
 * admit, over HTTP through the service running with REDIS_CLUSTER=true. The per-user
 * limit keys ({lim:<userId>}) and their two-key script work on the cluster too.
 */
import type Redis from 'ioredis';
import { Limits } from '../../lib/limits/limits';
import { queueKeys } from '../../lib/queue/keys';
import type { RedisClient } from '../../lib/clients/redis';
import { api, asAdmin, enterAndWaitActive, givenConcert, givenUser, pollNow, uniqueId } from '../support/api';
import { connectClusterMasters, connectTestRedis } from '../support/redis';

let cluster: RedisClient;
let masters: { port: number; redis: Redis }[];

beforeAll(async () => {
  cluster = connectTestRedis();
  masters = connectClusterMasters();
  await cluster.ping();
});
afterAll(async () => {
  await cluster.quit();
  await Promise.all(masters.map((m) => m.redis.quit()));
});

/** CLUSTER SHARDS (Redis 7): which master serves a slot. */
async function ownerOf(slot: number): Promise<number> {
  const shards = (await masters[0]!.redis.cluster('SHARDS')) as unknown[][];
  for (const shard of shards) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i < shard.length; i += 2) fields.set(String(shard[i]), shard[i + 1]);
    const ranges = fields.get('slots') as number[];
    const nodes = fields.get('nodes') as unknown[][];
    for (let i = 0; i < ranges.length; i += 2) {
      if (slot >= ranges[i]! && slot <= ranges[i + 1]!) {
        const node = new Map<string, unknown>();
        for (let j = 0; j < nodes[0]!.length; j += 2) node.set(String(nodes[0]![j]), nodes[0]![j + 1]);
        return Number(node.get('port'));
      }
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

const keySlot = async (key: string) => Number(await masters[0]!.redis.cluster('KEYSLOT', key));

/** A fresh concert id and the one slot every one of its queue keys hashes to. */
async function concertSlot(concertId: string): Promise<number> {
  const slots = new Set(await Promise.all(queueKeys(concertId).map(keySlot)));
  expect(slots.size).toBe(1);
  return [...slots][0]!;
}

it('runs on three masters that share the 16384 slots', async () => {
  expect(masters).toHaveLength(3);
  const owners = new Set<number>();
  for (const slot of [0, 8000, 16383]) owners.add(await ownerOf(slot));
  expect(owners).toEqual(new Set(masters.map((m) => m.port)));
});

it('keeps each concert in one slot of one master, and two concerts on different masters both queue and admit', async () => {
  // Choose two concert ids whose hash tags land on different masters.
  const first = uniqueId('cl');
  const firstSlot = await concertSlot(first);
  const firstOwner = await ownerOf(firstSlot);
  let second = '';
  let secondSlot = -1;
  let secondOwner = firstOwner;
  while (secondOwner === firstOwner) {
    second = uniqueId('cl');
    secondSlot = await concertSlot(second);
    secondOwner = await ownerOf(secondSlot);
  }

  for (const concertId of [first, second]) {
    await givenConcert({ concertId, queue: { maxActive: 1, admissionsPerSecond: 100, activeSessionSeconds: 600 } });
  }
  const journey = async (concertId: string) => {
    const [front, next] = [await givenUser(), await givenUser()];
    const frontToken = await enterAndWaitActive(front, concertId);
    const waiting = await api('POST', '/v1/queue/tokens', { token: next.token, body: { concertId } });
    const dates = await api('GET', `/v1/concerts/${concertId}/dates`, { token: front.token, queueToken: frontToken });
    const left = await api('DELETE', '/v1/queue/tokens/current', { token: front.token, queueToken: frontToken });
    const after = await pollNow(next, waiting.body.token);
    return { waiting: waiting.body, dates: dates.status, left: left.status, after: after.body };
  };
  const [a, b] = await Promise.all([journey(first), journey(second)]);

  for (const run of [a, b]) {
    expect(run.waiting).toMatchObject({ status: 'WAITING', position: 1 });
    expect(run.dates).toBe(200); // the booking gate read the token on its master
    expect(run.left).toBe(200);
    expect(run.after.status).toBe('ACTIVE'); // the freed slot admitted the next user
  }

  // Each concert's keys are on its own master and nowhere else.
  for (const [concertId, slot, owner] of [
    [first, firstSlot, firstOwner],
    [second, secondSlot, secondOwner],
  ] as const) {
    for (const m of masters) {
      const count = Number(await m.redis.cluster('COUNTKEYSINSLOT', slot));
      if (m.port === owner) expect(count).toBeGreaterThan(0);
      else expect(count).toBe(0);
    }
    const owned = masters.find((m) => m.port === owner)!.redis;
    const inSlot = (await owned.cluster('GETKEYSINSLOT', slot, 1000)) as string[];
    expect(inSlot).toEqual(expect.arrayContaining([`{q:${concertId}}:tokens`, `{q:${concertId}}:active`, `{q:${concertId}}:meta`]));
  }
  const figures = async (concertId: string) => (await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body;
  for (const concertId of [first, second]) expect(await figures(concertId)).toMatchObject({ waiting: 0, active: 1, admittedTotal: 2 });
});

it('runs the two-key limit script on the cluster (a refusal proves it ran: a failed check lets requests through)', async () => {
  const limits = new Limits(cluster, { holdsPerMinute: 2, topupsPerMinute: 10, queueCyclesPerMinute: 5, unpaidHoldsLimit: 1, unpaidHoldsWindowSeconds: 60, timeoutMs: 2_000 });
  const userId = uniqueId('lim-user');
  const concertId = uniqueId('lim-concert');

  await limits.beforeHold(userId, concertId);
  await limits.beforeHold(userId, concertId);
  await expect(limits.beforeHold(userId, concertId)).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED' });

  const other = uniqueId('lim-user');
  await limits.holdExpiredUnpaid(other, concertId);
  expect(await limits.unpaidHolds(other, concertId)).toBe(1);
  await expect(limits.beforeHold(other, concertId)).rejects.toMatchObject({ status: 429, code: 'TOO_MANY_UNPAID_HOLDS' });
});
