/** Runs serverless-offline (API Gateway + Lambda + schedules + the SQS consumer) for a stage. */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
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
  /**
   * Rebuild a function when a file under functions/ or lib/ changes and serve the new
   * code from the next invocation on (`npm run dev`; serverless-esbuild's incremental
   * contexts, infra/local/esbuild-reload.cjs). Without it (`npm start`, the tests) every
   * function is bundled once with a one-shot build, nothing watches, and esbuild's service
   * process stops once the builds are done (infra/local/esbuild-build-once.cjs): about
   * 1.4 GB less resident memory. Restart to pick up a change.
   */
  watch?: boolean;
}

/** serverless-offline prints these once its servers listen (serverless-offline 14). */
const HTTP_LISTENING = /Server ready: http/;
const LAMBDA_LISTENING = /Offline \[http for lambda\] listening on/;
const PORT_IN_USE = /EADDRINUSE: address already in use (\S+)/;

export async function startOffline(o: OfflineOptions): Promise<Child> {
  const bin = require.resolve('serverless/bin/serverless.js', { paths: [o.projectDir] });
  const preload = ['--require', join(__dirname, o.watch ? 'esbuild-reload.cjs' : 'esbuild-build-once.cjs')];
  const child = startChild('serverless-offline', process.execPath, [...preload, bin, 'offline', 'start', '--stage', o.stage], {
    cwd: o.projectDir,
    echo: o.echo,
    // `npm start` says "ready" once everything answers (start.ts); serverless-offline's own
    // "Server ready" only means its HTTP server listens.
    echoFilter: (text) => text.replace(/Server ready: (http\S+).*/g, 'Offline [http] listening on $1'),
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
  await waitFor(
    'serverless-offline',
    // Only our own servers count: a health answer from another process on the port must not.
    async () => child.printed(HTTP_LISTENING) && child.printed(LAMBDA_LISTENING) && (await fetch(health)).status === 200,
    120_000,
    child,
    // serverless-offline logs a port it cannot bind and then keeps running: stop at once.
    () => {
      if (!child.printed(PORT_IN_USE)) return undefined;
      const address = PORT_IN_USE.exec(child.tail())?.[1] ?? `port ${o.httpPort} or ${o.lambdaPort}`;
      return new PortInUseError(`serverless-offline could not listen on ${address}: the port is already in use (PORT ${o.httpPort}, LAMBDA_PORT ${o.lambdaPort})`);
    },
  );
  return child;
}

export class PortInUseError extends Error {}

const invocationsUrl = (lambdaPort: number, functionName: string) => `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${functionName}/invocations`;

/** Starts an asynchronous invocation of a function through serverless-offline's Lambda API. */
export async function invokeAsync(lambdaPort: number, functionName: string, payload: unknown = {}): Promise<void> {
  const res = await fetch(invocationsUrl(lambdaPort, functionName), {
    method: 'POST',
    headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  if (res.status >= 300) throw new Error(`invoke ${functionName}: HTTP ${res.status} ${await res.text()}`);
}

/** Invokes a function through serverless-offline's Lambda API and returns its result. */
export async function invoke<T = unknown>(lambdaPort: number, functionName: string, payload: unknown = {}): Promise<T> {
  const res = await fetch(invocationsUrl(lambdaPort, functionName), {
    method: 'POST',
    headers: { 'x-amz-invocation-type': 'RequestResponse', 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  if (res.status >= 300 || res.headers.get('x-amz-function-error')) throw new Error(`invoke ${functionName}: HTTP ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
