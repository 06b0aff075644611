/**
 * `npm run deploy:web` (infra/deploy-web.ts) against a local S3 (s3rver): the web app is
 * built with the stage's API URL and sign-in settings baked in, uploaded with the right
 * content types and caching (hashed assets immutable, pages revalidated), pages of an
 * older build are removed while its assets stay; the token settings written for a
 * Cognito pool are ones the API's cold start accepts. And the CloudFront Function of
 * infra/web.js, run as CloudFront runs it, sends the app's routes to index.html.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { buildVariables, checkPoolMayReplace, poolJwtSettings, uploadBuild, uploadPlan } from '../../infra/deploy-web';
import { buildWebTo } from '../../infra/local/web';
import { withSecrets } from '../../lib/secrets';
import { freePort } from '../support/private-services';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { REWRITE_FUNCTION, CALLBACK_PATH } = require('../../infra/web.js') as { REWRITE_FUNCTION: string; CALLBACK_PATH: string };

const outputs = {
  HttpApiUrl: 'https://abc123.execute-api.ap-northeast-2.amazonaws.com',
  WebUrl: 'https://d111111abcdef8.cloudfront.net',
  WebBucketName: 'web',
  WebDistributionId: 'E2EXAMPLE',
  CognitoIssuer: 'https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example',
  CognitoWebClientId: 'client123',
  CognitoHostedUiUrl: 'https://concert-ticketing-prod-123.auth.ap-northeast-2.amazoncognito.com',
};

describe('the build and the upload', () => {
  let server: S3rver;
  let s3: S3Client;
  let s3Dir: string;
  let outDir: string;

  beforeAll(async () => {
    s3Dir = mkdtempSync(join(tmpdir(), 's3rver-'));
    outDir = mkdtempSync(join(tmpdir(), 'web-build-'));
    const port = await freePort();
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3Dir });
    await server.run();
    s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'web' }));
    buildWebTo(outDir, buildVariables(outputs, {}));
  }, 180_000);

  afterAll(async () => {
    s3?.destroy();
    await server?.close();
    rmSync(s3Dir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  const get = async (key: string) => {
    const o = await s3.send(new GetObjectCommand({ Bucket: 'web', Key: key }));
    return { contentType: o.ContentType, cacheControl: o.CacheControl, body: await o.Body!.transformToString() };
  };

  it('bakes the API URL and the pool into the bundle, and uploads pages after the assets they name', async () => {
    const plan = uploadPlan(outDir);
    const firstPage = plan.findIndex((u) => !u.key.startsWith('assets/'));
    expect(plan.slice(firstPage).every((u) => !u.key.startsWith('assets/'))).toBe(true);
    expect(plan.map((u) => u.key)).toEqual(expect.arrayContaining(['index.html', 'docs.html']));

    // An older build left a page of its own and an asset.
    await s3.send(new PutObjectCommand({ Bucket: 'web', Key: 'old-page.html', Body: 'old' }));
    await s3.send(new PutObjectCommand({ Bucket: 'web', Key: 'assets/old-123.js', Body: 'old' }));

    const { uploaded, deleted } = await uploadBuild(s3, 'web', outDir);
    expect(deleted).toEqual(['old-page.html']);
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: 'web' }))).Contents!.map((o) => o.Key).sort();
    expect(listed).toEqual([...uploaded, 'assets/old-123.js'].sort());

    const index = await get('index.html');
    expect(index).toMatchObject({ contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' });
    const script = /src="\/(assets\/[^"]+\.js)"/.exec(index.body)![1]!;
    const bundle = await get(script);
    expect(bundle).toMatchObject({ contentType: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' });
    const assets = await Promise.all(uploaded.filter((k) => k.startsWith('assets/') && k.endsWith('.js')).map(async (k) => (await get(k)).body));
    const all = assets.join('\n');
    expect(all).toContain(outputs.HttpApiUrl);
    expect(all).toContain(outputs.CognitoIssuer);
    expect(all).toContain(outputs.CognitoWebClientId);
    expect(all).toContain(`${outputs.CognitoHostedUiUrl}/logout?client_id=client123&logout_uri=${encodeURIComponent(`${outputs.WebUrl}/`)}`);
  });
});

describe('the settings', () => {
  it('takes a provider of your own from the environment over the stage pool', () => {
    expect(buildVariables(outputs, { VITE_OIDC_AUTHORITY: 'https://id.example.com', VITE_OIDC_CLIENT_ID: 'mine' })).toEqual({
      VITE_API_URL: outputs.HttpApiUrl,
      VITE_OIDC_AUTHORITY: 'https://id.example.com',
      VITE_OIDC_CLIENT_ID: 'mine',
    });
    expect(() => buildVariables(outputs, { VITE_OIDC_AUTHORITY: 'https://id.example.com' })).toThrow('VITE_OIDC_CLIENT_ID');
    expect(() => buildVariables({}, {})).toThrow('HttpApiUrl');
  });

  it("writes token settings for the pool that the API's cold start accepts", async () => {
    const jwks = { keys: [{ kty: 'RSA', kid: 'k1', alg: 'RS256', e: 'AQAB', n: 'x', use: 'sig' }] };
    const asked: string[] = [];
    const settings = await poolJwtSettings(outputs.CognitoIssuer, 'client123', async (url) => (asked.push(url), jwks));
    expect(asked).toEqual([`${outputs.CognitoIssuer}/.well-known/jwks.json`]);
    const env = await withSecrets({ JWT_SETTINGS_PARAMETER: '/p/jwt' }, async () => ({ '/p/jwt': JSON.parse(JSON.stringify(settings)) }));
    expect(env).toMatchObject({ JWT_ISSUER: outputs.CognitoIssuer, JWT_CLIENT_IDS: 'client123', JWT_JWKS: JSON.stringify(jwks), JWT_JWKS_URL: '' });
    // A provider answering something that is not a key set is refused before anything is written.
    await expect(poolJwtSettings(outputs.CognitoIssuer, 'client123', async () => ({ error: 'nope' }))).rejects.toThrow();
  });

  it("never replaces another provider's token settings with the pool's unless asked", () => {
    const pool = outputs.CognitoIssuer;
    expect(() => checkPoolMayReplace('/p/jwt', pool, undefined, false)).not.toThrow();
    expect(() => checkPoolMayReplace('/p/jwt', pool, JSON.stringify({ issuer: pool }), false)).not.toThrow();
    expect(() => checkPoolMayReplace('/p/jwt', pool, JSON.stringify({ issuer: 'https://id.example.com' }), false)).toThrow('--replace-jwt-settings');
    expect(() => checkPoolMayReplace('/p/jwt', pool, JSON.stringify({ issuer: 'https://id.example.com' }), true)).not.toThrow();
  });
});

describe("the distribution's viewer-request function", () => {
  const rewrite = (uri: string) => runInNewContext(`${REWRITE_FUNCTION}; handler({ request: { uri: ${JSON.stringify(uri)} } }).uri`) as string;

  it("serves the app's routes from index.html, /docs from docs.html and files as they are", () => {
    for (const route of ['/', '/admin', '/history', '/concerts/c-1', CALLBACK_PATH]) expect(rewrite(route)).toBe('/index.html');
    expect(rewrite('/docs')).toBe('/docs.html');
    expect(rewrite('/docs/')).toBe('/docs.html');
    for (const file of ['/index.html', '/docs.html', '/assets/main-abc.js', '/assets/x.css', '/favicon.svg']) expect(rewrite(file)).toBe(file);
  });
});
