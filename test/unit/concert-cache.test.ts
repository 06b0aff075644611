/** The catalog's concert cache: bounded for found concerts and for unknown ids alike. */
import { randomUUID } from 'node:crypto';
import { ConcertCache } from '../../lib/booking/concert-cache';

const options = { maxFound: 50, foundTtlMs: 60_000, maxMissing: 100, missingTtlMs: 60_000 };

it('does not grow with lookups of random unknown ids', async () => {
  const cache = new ConcertCache<{ id: string }>(options);
  let loads = 0;
  const none = async () => {
    loads++;
    return undefined;
  };
  for (let i = 0; i < 5_000; i++) expect(await cache.get(`unknown-${randomUUID()}`, none)).toBeUndefined();
  expect(loads).toBe(5_000);
  expect(cache.size).toEqual({ found: 0, missing: 100 });
});

it('answers a repeated unknown id from the cache until it is forgotten', async () => {
  const cache = new ConcertCache<{ id: string }>(options);
  let stored: { id: string } | undefined;
  let loads = 0;
  const load = async () => {
    loads++;
    return stored;
  };
  expect(await cache.get('c1', load)).toBeUndefined();
  stored = { id: 'c1' };
  expect(await cache.get('c1', load)).toBeUndefined(); // still remembered as missing
  expect(loads).toBe(1);
  cache.forget('c1'); // e.g. this container just created it
  expect(await cache.get('c1', load)).toEqual({ id: 'c1' });
  expect(await cache.get('c1', load)).toEqual({ id: 'c1' });
  expect(loads).toBe(2);
});

it('keeps at most maxFound concerts, dropping the least recently used', async () => {
  const cache = new ConcertCache<{ id: string }>(options);
  const load = async (id: string) => ({ id });
  await cache.get('hot', load);
  for (let i = 0; i < 200; i++) {
    await cache.get(`c${i}`, load);
    await cache.get('hot', load);
  }
  expect(cache.size.found).toBe(50);
  let reloaded = false;
  await cache.get('hot', async (id) => {
    reloaded = true;
    return { id };
  });
  expect(reloaded).toBe(false);
});

it('forgets unknown ids after missingTtlMs, so a concert created elsewhere shows up', async () => {
  const cache = new ConcertCache<{ id: string }>({ ...options, missingTtlMs: 30 });
  let stored: { id: string } | undefined;
  const load = async () => stored;
  expect(await cache.get('c2', load)).toBeUndefined();
  stored = { id: 'c2' };
  await new Promise((r) => setTimeout(r, 60));
  expect(await cache.get('c2', load)).toEqual({ id: 'c2' });
});
