/**
 * `npm run deploy:web -- --stage <stage> [--region <region>]`: puts the web app on a
 * deployed stage, after `npx serverless deploy --stage <stage>` (README "Deploying to AWS").
 *
 *   1. reads the stack's outputs (CloudFormation): the API URL, the bucket and the
 *      distribution (infra/web.js), and the Cognito pool and web client when the stage
 *      created them;
 *   2. builds web/ into a folder of its own (web/dist, which npm start serves, is left
 *      alone) with VITE_API_URL and the sign-in settings VITE_OIDC_* baked in (from the
 *      pool, or from the environment for a provider of your own; neither: it stops);
 *   3. when the app signs in at the stage's own Cognito pool, writes the API's token
 *      settings <jwtSettingsParameter> = {issuer, jwks, clientIds} (the key set itself,
 *      since the functions in the VPC cannot fetch it), unless they already say exactly
 *      that; settings of another issuer are replaced only with --replace-jwt-settings;
 *   4. uploads the build: the hashed assets first (cached for a year, immutable), then
 *      the pages (revalidated on every load), and removes pages of an older build (old
 *      assets stay, for pages still open);
 *   5. invalidates the distribution, and prints the URL.
 *
 * The steps are exported for test/integration/deploy-web.test.ts, which runs the build
 * and the upload against a local S3 (s3rver).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import mime from 'mime';
import { JwtSettings } from '../lib/secrets';
import { buildWebTo } from './local/web';

const SERVICE = 'concert-ticketing';

export type Outputs = Record<string, string>;

export async function stackOutputs(cfn: CloudFormationClient, stackName: string): Promise<Outputs> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (!stack) throw new Error(`stack ${stackName} not found: deploy it first (npx serverless deploy --stage <stage>)`);
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
}

function required(outputs: Outputs, key: string, why: string): string {
  const value = outputs[key];
  if (!value) throw new Error(`the stack has no output ${key} (${why})`);
  return value;
}

/** The Vite variables of the build: the API, and the sign-in provider (the stage's pool, or yours from `env`). */
export function buildVariables(outputs: Outputs, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const vars: Record<string, string> = { VITE_API_URL: required(outputs, 'HttpApiUrl', 'the HTTP API').replace(/\/$/, '') };
  if (env.VITE_OIDC_AUTHORITY) {
    for (const key of ['VITE_OIDC_AUTHORITY', 'VITE_OIDC_CLIENT_ID', 'VITE_OIDC_SCOPE', 'VITE_OIDC_LOGOUT_URL']) if (env[key]) vars[key] = env[key]!;
    if (!vars.VITE_OIDC_CLIENT_ID) throw new Error('VITE_OIDC_AUTHORITY is set: set VITE_OIDC_CLIENT_ID too');
  } else if (outputs.CognitoIssuer) {
    const clientId = required(outputs, 'CognitoWebClientId', 'the web app client of the pool');
    const webUrl = required(outputs, 'WebUrl', 'the web app URL');
    vars.VITE_OIDC_AUTHORITY = outputs.CognitoIssuer;
    vars.VITE_OIDC_CLIENT_ID = clientId;
    vars.VITE_OIDC_SCOPE = 'openid email profile';
    // Cognito's Hosted UI logout is not OIDC's end-session endpoint.
    vars.VITE_OIDC_LOGOUT_URL = `${required(outputs, 'CognitoHostedUiUrl', 'the Hosted UI')}/logout?client_id=${encodeURIComponent(clientId)}&logout_uri=${encodeURIComponent(`${webUrl}/`)}`;
  }
  return vars;
}

export interface Upload {
  key: string;
  file: string;
  contentType: string;
  cacheControl: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const isAsset = (key: string) => key.startsWith('assets/');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** What to upload, assets before pages (a page never names an asset not yet there). */
export function uploadPlan(dir: string): Upload[] {
  const plan = filesUnder(dir).map((file) => {
    const key = relative(dir, file).split(sep).join('/');
    const type = mime.getType(file) ?? 'application/octet-stream';
    const text = type.startsWith('text/') || /(json|javascript|svg|xml)/.test(type);
    return { key, file, contentType: text ? `${type}; charset=utf-8` : type, cacheControl: isAsset(key) ? IMMUTABLE : REVALIDATE };
  });
  return plan.sort((a, b) => Number(isAsset(b.key)) - Number(isAsset(a.key)) || a.key.localeCompare(b.key));
}

/** Uploads the build to `bucket` and deletes what an older build left besides its assets. */
export async function uploadBuild(s3: S3Client, bucket: string, dir: string): Promise<{ uploaded: string[]; deleted: string[] }> {
  const plan = uploadPlan(dir);
  const assets = plan.filter((u) => isAsset(u.key));
  const pages = plan.filter((u) => !isAsset(u.key));
  const put = (u: Upload) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: u.key, Body: readFileSync(u.file), ContentType: u.contentType, CacheControl: u.cacheControl }));
  for (let i = 0; i < assets.length; i += 8) await Promise.all(assets.slice(i, i + 8).map(put));
  for (const page of pages) await put(page);

  const keep = new Set(plan.map((u) => u.key));
  const stale: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !keep.has(o.Key) && !isAsset(o.Key)) stale.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  for (let i = 0; i < stale.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })) } }));
  }
  return { uploaded: plan.map((u) => u.key), deleted: stale };
}

/** The API's token settings for a Cognito pool: its issuer, its key set and the web client. */
export async function poolJwtSettings(issuer: string, clientId: string, fetchJson: (url: string) => Promise<unknown> = defaultFetchJson) {
  const settings = JwtSettings.parse({ issuer, clientIds: [clientId], jwks: await fetchJson(`${issuer}/.well-known/jwks.json`) });
  return settings;
}

async function defaultFetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

/** The parameter's value, or undefined when it does not exist. */
export async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (err) {
    if (err instanceof ParameterNotFound) return undefined;
    throw err;
  }
}

/** Refuses to point the API at the pool when the parameter (`current`) trusts another issuer, unless `replace`. */
export function checkPoolMayReplace(name: string, poolIssuer: string, current: string | undefined, replace: boolean): void {
  const issuer = current === undefined ? undefined : (JSON.parse(current) as { issuer?: string }).issuer;
  if (current !== undefined && issuer !== poolIssuer && !replace) {
    throw new Error(`${name} trusts ${issuer}, not this stage's pool: pass --replace-jwt-settings to switch the API to the pool, or set VITE_OIDC_AUTHORITY to keep your provider`);
  }
}

/** Writes the settings unless the parameter already holds exactly them (`current`); true when it changed. */
export async function writeJwtSettings(ssm: SSMClient, name: string, settings: unknown, current: string | undefined): Promise<boolean> {
  const value = JSON.stringify(settings);
  if (current === value) return false;
  await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: value, Overwrite: true, Description: 'JWT settings of the API (written by npm run deploy:web)' }));
  return true;
}

async function main() {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, region: { type: 'string' }, 'replace-jwt-settings': { type: 'boolean', default: false } } });
  const stage = values.stage;
  if (!stage || stage === 'local' || stage === 'test') throw new Error('usage: npm run deploy:web -- --stage <deployed stage> [--region <region>] (locally, npm start serves the app)');
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const stackName = `${SERVICE}-${stage}`;
  const log = (m: string) => console.log(`[deploy:web] ${m}`);

  const outputs = await stackOutputs(new CloudFormationClient({ region }), stackName);
  const bucket = required(outputs, 'WebBucketName', 'param webMode create');
  const distributionId = required(outputs, 'WebDistributionId', 'param webMode create');

  const vars = buildVariables(outputs);
  if (!vars.VITE_OIDC_AUTHORITY) {
    throw new Error('no sign-in provider: deploy with cognitoMode create, or set VITE_OIDC_AUTHORITY and VITE_OIDC_CLIENT_ID (a deployed stage has no development tokens)');
  }
  const outDir = mkdtempSync(join(tmpdir(), `web-${stage}-`));
  try {
    log(`building web/ for ${vars.VITE_API_URL}, sign-in with ${vars.VITE_OIDC_AUTHORITY}`);
    buildWebTo(outDir, vars);

    // The API trusts the stage's pool only when the app signs in there, and never in place
    // of another provider's settings unless asked to (--replace-jwt-settings).
    if (outputs.CognitoIssuer && vars.VITE_OIDC_AUTHORITY === outputs.CognitoIssuer) {
      const name = required(outputs, 'JwtSettingsParameterName', 'the JWT settings parameter');
      const ssm = new SSMClient({ region });
      const current = await readParameter(ssm, name);
      checkPoolMayReplace(name, outputs.CognitoIssuer, current, values['replace-jwt-settings']!);
      const settings = await poolJwtSettings(outputs.CognitoIssuer, required(outputs, 'CognitoWebClientId', 'the web client'));
      const changed = await writeJwtSettings(ssm, name, settings, current);
      log(changed ? `wrote ${name} (issuer ${settings.issuer}, ${settings.jwks!.keys.length} keys); warm containers keep the old settings until recycled (npx serverless deploy --stage ${stage} --force)` : `${name} is current`);
    }
    const { uploaded, deleted } = await uploadBuild(new S3Client({ region }), bucket, outDir);
    log(`uploaded ${uploaded.length} files to s3://${bucket}${deleted.length ? `, removed ${deleted.join(', ')}` : ''}`);
    const inv = await new CloudFrontClient({ region }).send(
      new CreateInvalidationCommand({ DistributionId: distributionId, InvalidationBatch: { CallerReference: `deploy-web-${Date.now()}`, Paths: { Quantity: 1, Items: ['/*'] } } }),
    );
    log(`invalidation ${inv.Invalidation?.Id} started (a minute or two)`);
    log(`web app: ${outputs.WebUrl}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`[deploy:web] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
