/**
 * The queue's Lua scripts as files: each one, with the bindings and the prelude the
 * loader puts in front of it, parses (luac -p), loads into the real Redis of the test
 * stack (SCRIPT LOAD compiles it as Redis's Lua 5.1 does), and uses only the keys and
 * arguments it is given by name.
 */
import { spawnSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { QUEUE_KEYS } from '../../lib/queue/keys';
import { COMMON_ARGS, SCRIPTS, scriptSource, type ScriptName } from '../../lib/queue/scripts';
import type { RedisClient } from '../../lib/clients/redis';
import { connectTestRedis } from '../support/redis';

const names = Object.keys(SCRIPTS) as ScriptName[];

function luac(): string {
  for (const candidate of ['luac5.4', 'luac5.3', 'luac5.1', 'luac']) {
    if (!spawnSync(candidate, ['-v']).error) return candidate;
  }
  throw new Error('No Lua compiler found for the syntax check: apt-get install -y lua5.4');
}

let redis: RedisClient;
beforeAll(async () => {
  redis = connectTestRedis();
  await redis.ping(); // a Cluster knows its masters once connected
});
afterAll(() => redis.quit());

describe.each(names)('script %s', (name) => {
  const source = scriptSource(name);

  it('parses', () => {
    const r = spawnSync(luac(), ['-p', '-'], { input: source, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('loads into Redis (into every master of a cluster)', async () => {
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const shas = await Promise.all(nodes.map((node) => node.script('LOAD', source) as Promise<string>));
    expect(shas.length).toBeGreaterThan(0);
    for (const sha of shas) expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('uses only the keys and arguments bound for it', () => {
    const body = source.slice(source.indexOf('\n', source.indexOf('local A =')));
    const keys = new Set([...body.matchAll(/\bK\.(\w+)/g)].map((m) => m[1]));
    const args = new Set([...body.matchAll(/\bA\.(\w+)/g)].map((m) => m[1]));
    expect([...keys].filter((k) => !(QUEUE_KEYS as readonly string[]).includes(k!))).toEqual([]);
    expect([...args].filter((a) => ![...COMMON_ARGS, ...SCRIPTS[name].args].includes(a as never))).toEqual([]);
    expect(body).not.toMatch(/\b(KEYS|ARGV)\[/);
  });
});
