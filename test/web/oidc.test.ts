/**
 * OIDC sign-in as on a deployed stage, in real Chromium: the web app built with
 * VITE_OIDC_AUTHORITY / VITE_OIDC_CLIENT_ID (into a temp directory; web/dist is left
 * alone), a real OpenID Connect provider (npm oidc-provider, test/support/oidc-provider.ts,
 * standing in for Cognito's Hosted UI) and a second serverless-offline whose functions
 * trust only that provider (JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE, JWT_CLIENT_IDS; no
 * JWT_SECRET, so no development token works there). It shares the global setup's Redis
 * and DynamoDB, with an SQS emulator of its own (its release consumer never takes the
 * main stack's messages).
 *
 * Proves: the sign-in page offers only the provider's button; the authorize request is
 * authorization code + PKCE (S256); the provider's login form brings the user back to the
 * page they started on, signed in as the login (`sub`), with no code, state or token left
 * in the URL; every API call carries the ACCESS token (aud = the API, client_id = the app;
 * never the ID token) and the API accepts it (the waiting room shows the queue status,
 * the concert list loads); a token the API refuses brings the sign-in page back with a
 * notice instead of an error (also when the OIDC module loads after the page's first API
 * calls could have been answered), and a module that cannot load leaves the pages to the
 * stored session instead of waiting for ever; and signing in again returns to the same page; an expired
 * token is renewed silently (prompt=none) on the next load; an admin login gets the
 * operator navigation; sign-out ends the provider's session too (the next sign-in shows
 * the login form again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { startOffline } from '../../infra/local/offline';
import { freePort, type Child } from '../../infra/local/processes';
import { startSqs } from '../../infra/local/services';
import { projectDir } from '../../infra/local/stack';
import { buildWebTo, startWeb, type RunningWeb } from '../../infra/local/web';
import { enterAndWaitActive, givenConcert, givenUser, uniqueId } from '../support/api';
import { CHROMIUM, UI_TIMEOUT, untilText } from '../support/browser';
import { startOidcProvider, type RunningOidcProvider } from '../support/oidc-provider';

const CLIENT_ID = 'concert-web';
/** The API's resource indicator: the access tokens' audience. */
const RESOURCE = 'https://api.concert-tickets.test';
const STAGE = process.env.STAGE ?? 'test';

let provider: RunningOidcProvider;
let api: Child;
let sqs: Awaited<ReturnType<typeof startSqs>>;
let web: RunningWeb;
let browser: Browser;
let dist: string;
const workFolder = join('.esbuild', `oidc-test-${process.pid}`);
const problems: string[] = [];

beforeAll(async () => {
  if (!process.env.TEST_BASE_URL) throw new Error('run through jest (the global setup starts the stack)');
  const [providerPort, webPort, apiPort, lambdaPort, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const webUrl = `http://127.0.0.1:${webPort}`;
  provider = await startOidcProvider({
    port: providerPort,
    clientId: CLIENT_ID,
    redirectUris: [`${webUrl}/auth/callback`],
    postLogoutRedirectUris: [`${webUrl}/`],
    resource: RESOURCE,
  });
  dist = mkdtempSync(join(tmpdir(), 'concert-web-oidc-'));
  buildWebTo(dist, { VITE_OIDC_AUTHORITY: provider.issuer, VITE_OIDC_CLIENT_ID: CLIENT_ID, VITE_OIDC_SCOPE: 'openid' });

  sqs = await startSqs(sqsPort);
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const client = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const name of [process.env.HOLD_RELEASE_QUEUE_NAME!, `${process.env.HOLD_RELEASE_QUEUE_NAME}-dlq`]) await client.send(new CreateQueueCommand({ QueueName: name }));
  client.destroy();

  // The workers' environment is the shared stack's (global setup); this API differs in whom it trusts.
  api = await startOffline({
    projectDir,
    stage: STAGE,
    httpPort: apiPort,
    lambdaPort,
    echo: false,
    logFile: join(tmpdir(), `concert-ticketing-offline-oidc-${process.pid}.log`),
    env: {
      JWT_SECRET: '',
      JWT_JWKS_URL: provider.jwksUrl,
      JWT_ISSUER: provider.issuer,
      JWT_AUDIENCE: RESOURCE,
      JWT_CLIENT_IDS: CLIENT_ID,
      SQS_ENDPOINT: sqsEndpoint,
      // Its own bundles: the main stack's serverless-offline keeps serving .esbuild/.build.
      ESBUILD_WORK_FOLDER: workFolder,
      LOG_LEVEL: 'WARN',
    },
  });
  web = await startWeb({ port: webPort, apiUrl: `http://127.0.0.1:${apiPort}`, distDir: dist });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.child.stop();
  await api?.stop();
  await sqs?.stop();
  await provider?.stop();
  if (dist) rmSync(dist, { recursive: true, force: true });
  rmSync(join(projectDir, workFolder), { recursive: true, force: true });
});

interface Watched {
  page: Page;
  /** Every request the page made (all frames), in order. */
  requests: Request[];
  /** Every URL a frame of the page navigated to. */
  navigations: string[];
}

async function newPage(): Promise<Watched> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const requests: Request[] = [];
  const navigations: string[] = [];
  page.on('request', (r) => requests.push(r));
  page.on('framenavigated', (f) => navigations.push(f.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  return { page, requests, navigations };
}

/** On the provider's login form (any login, any password): signs in as `login`. */
async function loginAtProvider(page: Page, login: string) {
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

/** What oidc-client-ts keeps for the signed-in user (localStorage). */
async function storedUser(page: Page): Promise<{ access_token: string; id_token: string; expires_at: number } | null> {
  const raw = await page.evaluate((key) => (globalThis as any).localStorage.getItem(key) as string | null, `oidc.user:${provider.issuer}:${CLIENT_ID}`);
  return raw ? JSON.parse(raw) : null;
}

const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
/** The bearer tokens the page sent to the API, in order (allHeaders: headers() leaves out Authorization). */
const bearers = async (requests: Request[]) => {
  const api = requests.filter((r) => new URL(r.url()).pathname.startsWith('/v1/'));
  const tokens = await Promise.all(api.map(async (r) => /^Bearer (\S+)$/.exec((await r.allHeaders()).authorization ?? '')?.[1]));
  return tokens.filter((t): t is string => Boolean(t));
};

/** A concert whose only active slot someone else holds: an entering user stays WAITING. */
async function busyConcert() {
  const { concertId } = await givenConcert({ seats: 10, queue: { maxActive: 1, admissionsPerSecond: 100 } });
  await enterAndWaitActive(await givenUser('oidc-other'), concertId);
  return concertId;
}

it('signs in at the provider with code + PKCE, comes back to the waiting room, calls the API with the access token, and signs out at the provider', async () => {
  const concertId = await busyConcert();
  const { page, requests, navigations } = await newPage();
  const userId = uniqueId('oidc');

  // Straight to the waiting room, signed out: the sign-in page offers the provider only.
  await page.goto(`${web.url}/queue/${concertId}`);
  const button = page.getByTestId('sign-in-oidc');
  expect((await button.textContent())?.trim()).toBe('Sign in');
  expect(await page.getByTestId('user-id').count()).toBe(0);
  expect(await page.getByTestId('sign-in').count()).toBe(0);
  await button.click();

  // Authorization code with PKCE (S256), for this app, back to /auth/callback.
  await loginAtProvider(page, userId);
  const authorize = requests.map((r) => new URL(r.url())).find((u) => u.origin === provider.issuer && u.pathname === '/auth')!;
  expect(authorize).toBeDefined();
  expect(authorize.searchParams.get('response_type')).toBe('code');
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${web.url}/auth/callback`);

  // Back where the user started, signed in as the login (sub), and the API accepted the token.
  await page.waitForURL(`${web.url}/queue/${concertId}`);
  expect(await untilText(page, 'signed-in-as', /\S/)).toBe(userId);
  expect(await untilText(page, 'queue-status', /WAITING/)).toBe('WAITING');
  expect(await untilText(page, 'queue-position', /\d/)).toBe('1');
  expect(await page.getByTestId('nav-admin').count()).toBe(0);

  // The code came back to the callback (never a token).
  const callback = navigations.map((u) => new URL(u)).find((u) => u.origin === web.url && u.pathname === '/auth/callback')!;
  expect(callback.searchParams.get('code')).toBeTruthy();
  // Exchanged with the PKCE verifier.
  const tokenRequest = requests.find((r) => r.method() === 'POST' && r.url() === `${provider.issuer}/token`)!;
  const exchange = new URLSearchParams(tokenRequest.postData() ?? '');
  expect(exchange.get('grant_type')).toBe('authorization_code');
  expect(exchange.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);

  // The API got the ACCESS token: for this API (aud) and this app (client_id), not the ID token.
  const user = (await storedUser(page))!;
  const sent = [...new Set(await bearers(requests))];
  expect(sent).toEqual([user.access_token]);
  expect(sent).not.toContain(user.id_token);
  expect(payload(user.access_token)).toMatchObject({ iss: provider.issuer, sub: userId, aud: RESOURCE, client_id: CLIENT_ID });
  expect(payload(user.id_token)).toMatchObject({ aud: CLIENT_ID });
  const entered = requests.find((r) => r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/v1/') && /queue/.test(r.url()));
  expect((await entered?.response())?.status()).toBeLessThan(300);

  // No code, state or token in any URL after the callback.
  const afterCallback = navigations.slice(navigations.findIndex((u) => u.includes('/auth/callback')) + 1);
  expect(afterCallback.length).toBeGreaterThan(0);
  for (const url of afterCallback) {
    expect(url).not.toMatch(/[?&#](code|state|access_token|id_token)=/);
    expect(url).not.toContain(user.access_token);
  }
  for (const url of navigations) expect(url).not.toContain(user.access_token.split('.')[2]!);

  // The concert list, with the same token.
  await page.getByRole('link', { name: 'Concerts' }).click();
  await page.getByTestId(`concert-${concertId}`).waitFor();

  // Sign-out: the tokens are forgotten and the provider's session ends (its confirmation page).
  await page.getByTestId('sign-out').click();
  await page.waitForURL(`${provider.issuer}/session/end**`);
  await page.getByRole('button', { name: /yes, sign me out/i }).click();
  await page.waitForURL(`${web.url}/`);
  await page.getByTestId('sign-in-oidc').waitFor();
  expect(await storedUser(page)).toBeNull();
  expect(await page.getByTestId('signed-in-as').count()).toBe(0);
  // Signing in again needs the provider's login form again.
  await page.getByTestId('sign-in-oidc').click();
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.locator('input[name="login"]').waitFor();
  expect(problems).toEqual([]);
});

it('asks the user to sign in again when the API refuses the token, and returns to the same page', async () => {
  const { page } = await newPage();
  const userId = uniqueId('oidc-refused');
  await page.goto(`${web.url}/history`);
  await page.getByTestId('sign-in-oidc').click();
  await loginAtProvider(page, userId);
  await page.waitForURL(`${web.url}/history`);
  expect(await untilText(page, 'balance', /won/)).toBe('0 won');

  // The token stops being accepted (as an expired or revoked one would): a tampered signature.
  await page.route('**/v1/**', (route) => {
    const auth = route.request().headers().authorization;
    const headers = { ...route.request().headers(), ...(auth ? { authorization: `${auth.slice(0, -4)}AAAA` } : {}) };
    return route.continue({ headers });
  });
  // The OIDC module arrives late (a slow network): the stored session must not be used
  // before it can hear the API refuse the token (this race once showed the 401s instead).
  let oidcModuleHeld = false;
  await page.route('**/assets/oidc-*.js', async (route) => {
    oidcModuleHeld = true;
    await new Promise((r) => setTimeout(r, 1_000));
    return route.continue();
  });
  await page.reload();
  await page.getByTestId('session-checking').waitFor();
  await page.getByTestId('sign-in-expired').waitFor();
  expect(oidcModuleHeld).toBe(true);
  expect(await page.getByTestId('error').count()).toBe(0);
  expect(await page.getByTestId('signed-in-as').count()).toBe(0);
  await page.unroute('**/v1/**');
  await page.unroute('**/assets/oidc-*.js');

  // The provider's session still holds: straight back, to the same page, with a new sign-in.
  await page.getByTestId('sign-in-oidc').click();
  await page.waitForURL(`${web.url}/history`);
  expect(await untilText(page, 'signed-in-as', /\S/)).toBe(userId);
  expect(await untilText(page, 'balance', /won/)).toBe('0 won');
  expect(await page.getByTestId('sign-in-expired').count()).toBe(0);
  expect(problems).toEqual([]);
});

it('goes on with the stored session when the sign-in module cannot load, instead of waiting for ever', async () => {
  const { page } = await newPage();
  const userId = uniqueId('oidc-no-module');
  await page.goto(`${web.url}/history`);
  await page.getByTestId('sign-in-oidc').click();
  await loginAtProvider(page, userId);
  await page.waitForURL(`${web.url}/history`);
  expect(await untilText(page, 'balance', /won/)).toBe('0 won');

  // A deploy replaced the module, or the network dropped it.
  await page.route('**/assets/oidc-*.js', (route) => route.abort());
  await page.reload();
  expect(await untilText(page, 'balance', /won/)).toBe('0 won');
  expect(await page.getByTestId('session-checking').count()).toBe(0);
  await page.unroute('**/assets/oidc-*.js');
});

it('renews an expired access token silently on the next load, and shows the operator navigation to an admin login', async () => {
  const { concertId } = await givenConcert({ seats: 10 });
  const { page, requests } = await newPage();
  const userId = uniqueId('admin-oidc');
  await page.goto(`${web.url}/`);
  await page.getByTestId('sign-in-oidc').click();
  await loginAtProvider(page, userId);
  await page.waitForURL(`${web.url}/`);
  expect(await untilText(page, 'signed-in-as', /\S/)).toBe(userId);
  await page.getByTestId('nav-admin').waitFor();
  const first = (await storedUser(page))!;
  expect(payload(first.access_token).role).toBe('admin');

  // The stored token has run out (as after a night with the tab closed): renewed without a login form.
  await page.evaluate(
    ([key, value]) => (globalThis as any).localStorage.setItem(key!, value!),
    [`oidc.user:${provider.issuer}:${CLIENT_ID}`, JSON.stringify({ ...first, expires_at: Math.floor(Date.now() / 1000) - 60 })],
  );
  await page.reload();
  await page.getByTestId('nav-admin').waitFor();
  expect(await untilText(page, 'signed-in-as', /\S/)).toBe(userId);
  const renewed = (await storedUser(page))!;
  expect(renewed.access_token).not.toBe(first.access_token);
  expect(renewed.expires_at).toBeGreaterThan(Date.now() / 1000);
  // prompt=none in a hidden frame; the page itself never left the app.
  expect(requests.some((r) => r.url().startsWith(`${provider.issuer}/auth?`) && new URL(r.url()).searchParams.get('prompt') === 'none')).toBe(true);
  expect(page.url()).toBe(`${web.url}/`);

  // The operator console's figures come from an admin endpoint: the API reads role: admin from the renewed token.
  await page.goto(`${web.url}/admin/${concertId}`);
  expect(await untilText(page, 'admin-waiting', /\d/)).toBe('0');
  expect(await page.getByTestId('admin-needs-admin').count()).toBe(0);
  expect([...new Set(await bearers(requests))].slice(-1)).toEqual([renewed.access_token]);
  expect(problems).toEqual([]);
});
