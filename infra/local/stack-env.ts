/**
 * `.local-stack.env` (git-ignored): how other commands reach a running `npm start`. It is
 * written once the stack is ready and deleted when it stops, and holds the environment its
 * functions run with (endpoints of Redis, DynamoDB Local and the SQS emulator, table and
 * queue names, the stage's JWT secret), the API URL and serverless-offline's Lambda port.
 * `KEY=value` lines that `set -a; . ./.local-stack.env; set +a` and `node --env-file` both
 * read; `npm run invoke` (infra/local/invoke.ts) reads it itself.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir, type RunningStack } from './stack';

export const STACK_ENV_FILE = join(projectDir, '.local-stack.env');

/**
 * Where `serverless invoke local` bundles the function it runs: not serverless-offline's
 * `.esbuild`, so an invocation never rewrites a bundle the running API serves.
 */
export const INVOKE_ESBUILD_FOLDER = '.esbuild-invoke';

const SAFE = /^[\w@%+=:,./-]*$/;
const quote = (v: string) => (SAFE.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

export function stackEnvOf(stack: Pick<RunningStack, 'env' | 'baseUrl' | 'ports'>, pid = process.pid): Record<string, string> {
  return {
    ...stack.env,
    API_URL: stack.baseUrl,
    LAMBDA_PORT: String(stack.ports.lambda),
    LAMBDA_ENDPOINT: `http://127.0.0.1:${stack.ports.lambda}`,
    ESBUILD_WORK_FOLDER: INVOKE_ESBUILD_FOLDER,
    // What serverless-offline sets for its functions: `invoke local` sets Lambda's own
    // variables (AWS_LAMBDA_FUNCTION_NAME), and a local stage refuses to start inside a
    // real Lambda (lib/config.ts runningOnAws) unless it is told it runs offline.
    IS_OFFLINE: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LOCAL_STACK_PID: String(pid),
  };
}

export function writeStackEnv(env: Record<string, string>, file = STACK_ENV_FILE): void {
  const lines = [
    '# Written by `npm start` once it is ready, deleted when it stops (infra/local/stack-env.ts).',
    '# The environment its functions run with, for `npm run invoke` and `serverless invoke local`',
    '# (README "Local invocation"). Local development values only; never commit this file.',
    ...Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

export function readStackEnv(file = STACK_ENV_FILE): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[2]!;
    env[m[1]!] = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
  }
  return env;
}

/** Deletes the file if it is this process's (a second `npm start` that failed must not delete the first one's). */
export function removeStackEnv(file = STACK_ENV_FILE, pid = process.pid): void {
  try {
    if (readStackEnv(file).LOCAL_STACK_PID === String(pid)) rmSync(file, { force: true });
  } catch {
    // Not there.
  }
}
