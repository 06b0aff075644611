/**
 * Deployed-stage configuration: a stage that would accept foreign tokens or talk to
 * Redis in plaintext does not start; secrets come from SSM through the Powertools
 * parameters utility (here against a small local endpoint speaking SSM's JSON protocol).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../lib/config';
import { ssmReader, withSecrets } from '../../lib/secrets';

const prod = {
  STAGE: 'prod',
  REDIS_URL: 'rediss://cache.example.internal:6379',
  REDIS_PASSWORD: 'auth-token',
  JWT_JWKS_URL: 'https://issuer.example.com/.well-known/jwks.json',
  JWT_ISSUER: 'https://issuer.example.com',
  JWT_CLIENT_IDS: 'web-app',
};

describe('deployed-stage configuration', () => {
  it('loads a complete prod configuration', () => {
    const cfg = loadConfig(prod);
    expect(cfg.JWT_CLIENT_IDS).toEqual(['web-app']);
    expect(cfg.JWT_MAX_AGE_SECONDS).toBe(86_400);
    expect(loadConfig({ ...prod, JWT_CLIENT_IDS: '', JWT_AUDIENCE: 'concert-api' }).JWT_AUDIENCE).toBe('concert-api');
    // In a VPC without a route out: the key set itself, or a NAT gateway.
    const keys = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
    expect(loadConfig({ ...prod, VPC_EGRESS: 'none', JWT_JWKS_URL: '', JWT_JWKS: keys }).JWT_JWKS).toBeDefined();
    expect(loadConfig({ ...prod, VPC_EGRESS: 'nat' }).JWT_JWKS_URL).toBeDefined();
  });

  it.each([
    ['no issuer', { JWT_ISSUER: '' }, /JWT_ISSUER/],
    ['no JWKS', { JWT_JWKS_URL: '' }, /JWT_JWKS_URL/],
    ['neither audience nor client ids', { JWT_CLIENT_IDS: '' }, /JWT_AUDIENCE or JWT_CLIENT_IDS/],
    ['plaintext redis://', { REDIS_URL: 'redis://cache.example.internal:6379' }, /rediss:\/\//],
    ['no Redis AUTH', { REDIS_PASSWORD: '' }, /Redis AUTH/],
    ['a JWKS URL it cannot reach from a VPC without a route out', { VPC_EGRESS: 'none' }, /cannot fetch JWT_JWKS_URL/],
  ])('refuses to start with %s', (_what, change, message) => {
    expect(() => loadConfig({ ...prod, ...change })).toThrow(message);
  });

  it('accepts the AUTH token inside a rediss:// URL', () => {
    expect(() => loadConfig({ ...prod, REDIS_PASSWORD: '', REDIS_URL: 'rediss://:tok@cache.example.internal:6379' })).not.toThrow();
  });

  it('local stages keep working from the environment alone (plain redis://, no SSM)', async () => {
    const env = { STAGE: 'local', JWT_SECRET: 'local-secret-local-secret-local-secret' };
    expect(await withSecrets(env, () => Promise.reject(new Error('must not be called')))).toBe(env);
    expect(loadConfig(env).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });
});

describe('secrets from SSM Parameter Store', () => {
  let server: Server;
  let endpoint: string;
  const calls: { target: string; body: any }[] = [];
  const store: Record<string, { Type: string; Value: string }> = {
    '/concert-ticketing/prod/redis-password': { Type: 'SecureString', Value: 'from-ssm-auth-token' },
    '/concert-ticketing/prod/jwt': {
      Type: 'String',
      Value: JSON.stringify({ issuer: 'https://issuer.example.com', jwksUrl: 'https://issuer.example.com/jwks.json', clientIds: ['web-app', 'ios-app'] }),
    },
    '/concert-ticketing/prod/jwt-bad': { Type: 'String', Value: JSON.stringify({ issuer: 'https://issuer.example.com' }) },
    '/concert-ticketing/prod/jwt-both': {
      Type: 'String',
      Value: JSON.stringify({ issuer: 'https://issuer.example.com', jwksUrl: 'https://issuer.example.com/jwks.json', jwks: { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] }, clientIds: 'web-app' }),
    },
    '/concert-ticketing/prod/jwt-inline': {
      Type: 'String',
      Value: JSON.stringify({ issuer: 'https://issuer.example.com', jwks: { keys: [{ kty: 'RSA', kid: 'k1', alg: 'RS256', n: 'AQAB', e: 'AQAB' }] }, clientIds: 'web-app' }),
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']);
        const body = JSON.parse(raw);
        calls.push({ target, body });
        const param = (name: string) => ({ Name: name, Type: store[name]!.Type, Value: store[name]!.Value, Version: 1 });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (target === 'AmazonSSM.GetParameter') {
          if (!store[body.Name]) {
            res.statusCode = 400;
            return res.end(JSON.stringify({ __type: 'ParameterNotFound', message: body.Name }));
          }
          return res.end(JSON.stringify({ Parameter: param(body.Name) }));
        }
        const names: string[] = body.Names;
        res.end(JSON.stringify({ Parameters: names.filter((n) => store[n]).map(param), InvalidParameters: names.filter((n) => !store[n]) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reader = () => ssmReader({ clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } } });
  const deployedEnv = {
    STAGE: 'prod',
    REDIS_URL: 'rediss://cache.example.internal:6379',
    REDIS_PASSWORD_PARAMETER: '/concert-ticketing/prod/redis-password',
    JWT_SETTINGS_PARAMETER: '/concert-ticketing/prod/jwt',
  };

  it('fills the Redis password (decrypted) and the JWT settings in at cold start', async () => {
    const cfg = loadConfig(await withSecrets(deployedEnv, reader()));
    expect(cfg.REDIS_PASSWORD).toBe('from-ssm-auth-token');
    expect(cfg.JWT_ISSUER).toBe('https://issuer.example.com');
    expect(cfg.JWT_JWKS_URL).toBe('https://issuer.example.com/jwks.json');
    expect(cfg.JWT_CLIENT_IDS).toEqual(['web-app', 'ios-app']);
    const decrypted = calls.find((c) => c.target === 'AmazonSSM.GetParameter');
    expect(decrypted?.body).toEqual({ Name: '/concert-ticketing/prod/redis-password', WithDecryption: true });
  });

  it('fails the cold start with a clear message when a parameter is missing or malformed', async () => {
    await expect(withSecrets({ ...deployedEnv, REDIS_PASSWORD_PARAMETER: '/concert-ticketing/prod/nope' }, reader())).rejects.toThrow(/cannot read the SSM parameters/);
    await expect(withSecrets({ ...deployedEnv, JWT_SETTINGS_PARAMETER: '/concert-ticketing/prod/jwt-bad' }, reader())).rejects.toThrow(/jwksUrl/);
    await expect(withSecrets({ ...deployedEnv, JWT_SETTINGS_PARAMETER: '/concert-ticketing/prod/jwt-both' }, reader())).rejects.toThrow(/exactly one of jwksUrl and jwks/);
  });

  it('takes the key set itself from the JWT settings, for functions that cannot fetch it', async () => {
    const cfg = loadConfig(await withSecrets({ ...deployedEnv, JWT_SETTINGS_PARAMETER: '/concert-ticketing/prod/jwt-inline' }, reader()));
    expect(cfg.JWT_JWKS_URL).toBeUndefined();
    expect(cfg.JWT_JWKS).toEqual({ keys: [expect.objectContaining({ kty: 'RSA', kid: 'k1' })] });
  });
});
