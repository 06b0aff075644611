/**
 * `npm run invoke -- --function <name> --path <event.json>`: runs one function against the
 * stack a running `npm start` serves, with the endpoints, names and JWT secret it wrote to
 * `.local-stack.env` (stack-env.ts).
 *
 *   default     `serverless invoke local --stage <its stage> ...`: the handler runs in a fresh
 *               process from a fresh bundle of the current code; every other option
 *               (`--data`, `--context`, ...) goes to serverless as is.
 *   --offline   through serverless-offline's Lambda invoke API (LAMBDA_PORT) with the AWS
 *               SDK's Lambda client: the running API's own process, its warm containers.
 *               `--event` invokes asynchronously (InvocationType Event, answered 202).
 *
 * Tunables that serverless.yml reads from the environment apply to `invoke local`, e.g.
 * `ADMISSION_RUN_SECONDS=5 npm run invoke -- --function admitWaitingUsers ...`.
 * LOCAL_STACK_ENV=<file> reads another stack's file (the tests use it).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectDir } from './stack';
import { readStackEnv, STACK_ENV_FILE } from './stack-env';

const SERVICE = 'concert-ticketing';

function fail(message: string): never {
  console.error(`[invoke] ${message}`);
  process.exit(2);
}

function stackEnv(): Record<string, string> {
  const file = process.env.LOCAL_STACK_ENV ? resolve(process.env.LOCAL_STACK_ENV) : STACK_ENV_FILE;
  if (!existsSync(file)) fail(`no running stack: ${file} is missing. Start one first with \`npm start\` (in another terminal) and wait for its "ready" line.`);
  const env = readStackEnv(file);
  const pid = Number(env.LOCAL_STACK_PID);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    fail(`${file} is left over from a stack that is no longer running (pid ${pid}): start it again with \`npm start\`.`);
  }
  return env;
}

/** The value after `--name` / `-n`, or `--name=value`. */
function option(args: string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${long}` || (short && a === `-${short}`)) return args[i + 1];
    if (a.startsWith(`--${long}=`)) return a.slice(long.length + 3);
  }
  return undefined;
}

async function viaOffline(args: string[], env: Record<string, string>): Promise<number> {
  const name = option(args, 'function', 'f');
  if (!name) fail('--function <name> is required (a key of serverless.yml functions, e.g. health, admitWaitingUsers)');
  const path = option(args, 'path', 'p');
  const data = option(args, 'data', 'd');
  const payload = path ? readFileSync(resolve(projectDir, path), 'utf8') : (data ?? '{}');
  const functionName = name.startsWith(`${SERVICE}-`) ? name : `${SERVICE}-${env.STAGE}-${name}`;
  // `npm start` has shown the SDK's Node.js version notice already.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const lambda = new LambdaClient({
    endpoint: env.LAMBDA_ENDPOINT,
    region: env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'local' },
  });
  try {
    const res = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: args.includes('--event') ? 'Event' : 'RequestResponse', Payload: Buffer.from(payload) }),
    );
    const text = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: as it came
    }
    if (res.FunctionError) {
      console.error(`[invoke] ${functionName} failed (${res.FunctionError}):\n${shown}`);
      return 1;
    }
    console.log(shown || `(HTTP ${res.StatusCode}: invoked asynchronously)`);
    return 0;
  } finally {
    lambda.destroy();
  }
}

function viaInvokeLocal(args: string[], env: Record<string, string>): Promise<number> {
  const bin = require.resolve('serverless/bin/serverless.js', { paths: [projectDir] });
  const stage = option(args, 'stage', 's') ? [] : ['--stage', env.STAGE ?? 'local'];
  const exitWhenDone = ['--require', join(__dirname, 'invoke-exit.cjs')];
  const child = spawn(process.execPath, [...exitWhenDone, bin, 'invoke', 'local', ...stage, ...args], {
    cwd: projectDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...env,
      SLS_TELEMETRY_DISABLED: '1',
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return new Promise((done) => child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));
}

async function main() {
  const args = process.argv.slice(2);
  const env = stackEnv();
  if (args.includes('--offline')) return viaOffline(args.filter((a) => a !== '--offline'), env);
  if (args.includes('--event')) fail('--event (asynchronous) applies to --offline only');
  return viaInvokeLocal(args, env);
}

main().then(
  (code) => process.exit(code),
  (err) => fail(err instanceof Error ? err.message : String(err)),
);
