/** Runs serverless-offline (API Gateway + Lambda + schedules + the SQS consumer) for a stage. */
import { createWriteStream } from 'node:fs';
import { startChild, waitFor, type Child } from './processes';

export interface OfflineOptions {
  projectDir: string;
  stage: string;
  env: Record<string, string>;
  httpPort: number;
  lambdaPort: number;
  /** Echo its output (npm start); otherwise keep it in memory and in `logFile` if given. */
  echo: boolean;
  logFile?: string;
}

export async function startOffline(o: OfflineOptions): Promise<Child> {
  const bin = require.resolve('serverless/bin/serverless.js', { paths: [o.projectDir] });
  const child = startChild('serverless-offline', process.execPath, [bin, 'offline', 'start', '--stage', o.stage], {
    cwd: o.projectDir,
    echo: o.echo,
    env: {
      ...process.env,
      ...o.env,
      PORT: String(o.httpPort),
      LAMBDA_PORT: String(o.lambdaPort),
      SLS_TELEMETRY_DISABLED: '1',
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      // Printed once by `npm start` itself; not again by every function bundle.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  if (o.logFile) {
    const log = createWriteStream(o.logFile);
    child.proc.stdout?.pipe(log);
    child.proc.stderr?.pipe(log);
  }
  const health = `http://127.0.0.1:${o.httpPort}/v1/health`;
  await waitFor('serverless-offline', async () => (await fetch(health)).status === 200, 120_000, child);
  return child;
}

/** Starts an asynchronous invocation of a function through serverless-offline's Lambda API. */
export async function invokeAsync(lambdaPort: number, functionName: string, payload: unknown = {}): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  if (res.status >= 300) throw new Error(`invoke ${functionName}: HTTP ${res.status} ${await res.text()}`);
}
