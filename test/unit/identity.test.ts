import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { Identity } from '../../lib/auth/identity';
import { loadConfig } from '../../lib/config';

const SECRET = 'unit-test-secret-unit-test-secret';
const identity = new Identity(loadConfig({ STAGE: 'test', JWT_SECRET: SECRET }));
const authenticate = (authorization: string | undefined) => identity.authenticate(authorization);
const mintToken = (userId: string, admin = false) => identity.issueDevToken(userId, admin);

const sign = (secret: string, sub: string, exp: number | string = '1h') =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

const nowSec = () => Math.floor(Date.now() / 1000);

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

/**
 * A deployed stage: tokens signed by the identity provider's key (RS256), whose JWKS a
 * local HTTP server publishes as Cognito does, checked against issuer, audience or client
 * ids, required claims, maximum age and token_use. Every rule gets a token that breaks
 * only that rule, next to the same token that passes.
 */
describe('deployed-stage token rules', () => {
  const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TESTPOOL';
  const CLIENT = 'client-web-app';
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let jwks: { keys: Record<string, unknown>[] };
  let fetches = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = { keys: [jwk] };
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const prodConfig = (extra: Record<string, string>) =>
    loadConfig({ STAGE: 'prod', REDIS_URL: 'rediss://cache.example.internal:6379', REDIS_PASSWORD: 'x', JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, ...extra });

  /** A Cognito-style access token; `claims` overrides or (with undefined) removes claims. */
  async function token(claims: Partial<Record<keyof JWTPayload | 'client_id' | 'token_use', unknown>> = {}, key: CryptoKey = privateKey) {
    const payload: Record<string, unknown> = { sub: 'user-1', iss: ISSUER, client_id: CLIENT, token_use: 'access', iat: nowSec(), exp: nowSec() + 3600, ...claims };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);
  }
  const rejects = async (id: Identity, t: string) => expect(id.authenticate(`Bearer ${t}`)).rejects.toMatchObject({ status: 401 });

  it('accepts a Cognito access token of the right pool and client', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: `other-client, ${CLIENT}` }));
    expect(await id.authenticate(`Bearer ${await token()}`)).toEqual({ userId: 'user-1', admin: false });
  });

  it("makes members of the pool's admin group admins (cognito:groups), and nobody else", async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    const as = async (claims: Record<string, unknown>) => (await id.authenticate(`Bearer ${await token(claims as never)}`)).admin;
    expect(await as({ 'cognito:groups': ['staff', 'admin'] })).toBe(true);
    expect(await as({ sub: 'user-2', 'cognito:groups': ['staff'] })).toBe(false);
    expect(await as({ sub: 'user-3', 'cognito:groups': 'admin' })).toBe(false);
    expect(await as({ sub: 'user-4', 'cognito:groups': ['administrators'] })).toBe(false);
  });

  it('401: wrong issuer', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await rejects(id, await token({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHERPOOL' }));
    await rejects(id, await token({ iss: undefined }));
  });

  it('401: wrong audience', async () => {
    const id = new Identity(prodConfig({ JWT_AUDIENCE: 'concert-api' }));
    expect(await id.authenticate(`Bearer ${await token({ aud: 'concert-api' })}`)).toMatchObject({ userId: 'user-1' });
    await rejects(id, await token({ aud: 'another-api' }));
    await rejects(id, await token({ aud: undefined }));
  });

  it('401: wrong client id', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await rejects(id, await token({ client_id: 'someone-elses-app' }));
    await rejects(id, await token({ client_id: undefined }));
  });

  it('401: missing exp', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await expect(id.authenticate(`Bearer ${await token({ exp: undefined })}`)).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN', details: { claim: 'exp' } });
  });

  it('401: missing sub', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await expect(id.authenticate(`Bearer ${await token({ sub: undefined })}`)).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN', details: { claim: 'sub' } });
  });

  // Too old reads as expired: the client's remedy is the same (a fresh token).
  it('401: too old (issued longer ago than JWT_MAX_AGE_SECONDS), and without iat', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_MAX_AGE_SECONDS: '3600' }));
    expect(await id.authenticate(`Bearer ${await token({ iat: nowSec() - 3000, exp: nowSec() + 3600 })}`)).toMatchObject({ userId: 'user-1' });
    await expect(id.authenticate(`Bearer ${await token({ iat: nowSec() - 4000, exp: nowSec() + 3600 })}`)).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    await rejects(id, await token({ iat: undefined }));
  });

  it('401: token_use id where an access token is required', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await expect(id.authenticate(`Bearer ${await token({ token_use: 'id', aud: CLIENT })}`)).rejects.toMatchObject({ status: 401, details: { claim: 'token_use' } });
  });

  // Functions in a VPC without a route to the internet (infra/redis.js) are given the key set itself.
  it('verifies against a key set given inline (JWT_JWKS) without fetching anything', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: '', JWT_JWKS: JSON.stringify(jwks) }));
    const before = fetches;
    expect(await id.authenticate(`Bearer ${await token()}`)).toEqual({ userId: 'user-1', admin: false });
    await rejects(id, await token({}, otherKey));
    await rejects(id, await token({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHERPOOL' }));
    expect(fetches).toBe(before);
    expect(() => prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: '', JWT_JWKS: '{"keys":[]}' })).toThrow(/JWT_JWKS/);
    expect(() => prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: '' })).toThrow(/needs JWT_JWKS_URL \(or JWT_JWKS\)/);
  });

  it('401: issued in the future (iat) or not valid yet (nbf), beyond the 5 s clock tolerance', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    expect(await id.authenticate(`Bearer ${await token({ iat: nowSec() + 3 })}`)).toMatchObject({ userId: 'user-1' });
    await expect(id.authenticate(`Bearer ${await token({ iat: nowSec() + 60 })}`)).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN', details: { claim: 'iat' } });
    await rejects(id, await token({ nbf: nowSec() + 60 }));
  });

  it('accepts ES256 keys of the set, and refuses unsigned tokens and algorithms it does not take', async () => {
    const ec = await generateKeyPair('ES256');
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' };
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: '', JWT_JWKS: JSON.stringify({ keys: [...jwks.keys, ecJwk] }) }));
    const payload = { sub: 'user-9', iss: ISSUER, client_id: CLIENT, iat: nowSec(), exp: nowSec() + 600 };
    const es = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'e1' }).sign(ec.privateKey);
    expect(await id.authenticate(`Bearer ${es}`)).toEqual({ userId: 'user-9', admin: false });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await rejects(id, `${b64({ alg: 'none' })}.${b64(payload)}.`);
    await rejects(id, `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(payload)}.${'A'.repeat(342)}`);
    // The EC key's signature under the RSA key's kid.
    await rejects(id, `${es.split('.').slice(0, 2).join('.').replace(/^[^.]+/, b64({ alg: 'RS256', kid: 'k1' }))}.${es.split('.')[2]}`);
  });

  it("503 when the provider's key set cannot be fetched (nothing listening, or not a key set)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: deadUrl }));
    await expect(dead.authenticate(`Bearer ${await token()}`)).rejects.toMatchObject({ status: 503 });
    const junk = createServer((_req, res) => res.end('<html>maintenance</html>'));
    await new Promise<void>((resolve) => junk.listen(0, '127.0.0.1', resolve));
    try {
      const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT, JWT_JWKS_URL: `http://127.0.0.1:${(junk.address() as AddressInfo).port}/jwks.json` }));
      await expect(id.authenticate(`Bearer ${await token()}`)).rejects.toMatchObject({ status: 503 });
    } finally {
      await new Promise<void>((resolve) => junk.close(() => resolve()));
    }
  });

  it('401: signed by a key that is not in the JWKS, and HS256 with the local secret', async () => {
    const id = new Identity(prodConfig({ JWT_CLIENT_IDS: CLIENT }));
    await rejects(id, await token({}, otherKey));
    await rejects(id, await sign(SECRET, 'user-1'));
  });
});
