import { SignJWT } from 'jose';
import { Identity } from '../../lib/auth/identity';
import { loadConfig } from '../../lib/config';

const SECRET = 'unit-test-secret-unit-test-secret';
const identity = new Identity(loadConfig({ STAGE: 'test', JWT_SECRET: SECRET }));
const authenticate = (authorization: string | undefined) => identity.authenticate(authorization);
const mintToken = (userId: string, admin = false) => identity.issueDevToken(userId, admin);

const sign = (secret: string, sub: string, exp: number | string = '1h') =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('authenticate', () => {
  it('accepts a valid token and returns its subject and role', async () => {
    expect(await authenticate(`Bearer ${await mintToken('ann')}`)).toEqual({ userId: 'ann', admin: false });
    expect(await authenticate(`Bearer ${await mintToken('boss', true)}`)).toEqual({ userId: 'boss', admin: true });
  });

  it('rejects a token signed with another key even after a good token of the same user was verified', async () => {
    await authenticate(`Bearer ${await mintToken('carl')}`);
    await expect(authenticate(`Bearer ${await sign('not-the-secret-not-the-secret!!!', 'carl')}`)).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('rejects expired, malformed and missing tokens', async () => {
    await expect(authenticate(`Bearer ${await sign(SECRET, 'dan', Math.floor(Date.now() / 1000) - 60)}`)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    await expect(authenticate('Bearer abc.def.ghi')).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(authenticate('Basic Zm9vOmJhcg==')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects a subject that is not a usable user id', async () => {
    await expect(authenticate(`Bearer ${await sign(SECRET, 'has space')}`)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });
});
