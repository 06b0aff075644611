import { formatQueueToken, newTokenId, parseQueueToken, queueKeys, QUEUE_KEYS } from '../../lib/queue/keys';

describe('queue tokens', () => {
  it('round-trips and routes to the concert', () => {
    const id = newTokenId();
    expect(parseQueueToken(formatQueueToken('iu-2027', id))).toEqual({ concertId: 'iu-2027', tokenId: id });
  });
  it('are 128 random bits', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newTokenId));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 10)) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });
  it.each(['', 'x', 'iu-2027.', '.abc', 'iu-2027.short', 'BAD CONCERT.AAAAAAAAAAAAAAAAAAAAAA', `${'a'.repeat(200)}.AAAAAAAAAAAAAAAAAAAAAA`])(
    'rejects %p',
    (token) => expect(parseQueueToken(token)).toBeUndefined(),
  );
  it('keeps all keys of a concert in one Redis Cluster slot', () => {
    const keys = queueKeys('iu-2027');
    expect(keys).toHaveLength(QUEUE_KEYS.length);
    expect(new Set(keys.map((k) => /\{(.+?)\}/.exec(k)![1]))).toEqual(new Set(['q:iu-2027']));
  });
});
