/**
 * `npm start`: the whole service on this machine.
 *   embedded (default): private redis-server, DynamoDB Local and the SQS emulator, no Docker
 *   LOCAL_BACKEND=localstack: LocalStack (DynamoDB, SQS) and Redis from docker-compose.yml
 * Then tables and queues from infra/resources.yml, a demo concert, serverless-offline on
 * PORT (3000) with its Lambda invoke API on LAMBDA_PORT (3002), the admission schedule and
 * the hold-release consumer running, and the web app on WEB_PORT (8080).
 *   --watch (`npm run dev`): incremental rebuilds of changed functions (more memory).
 * It stops at once when one of those ports is taken, prints "ready" only when the API,
 * the Lambda API, the demo concert and the web app all answer, and then writes
 * `.local-stack.env` for `npm run invoke` (stack-env.ts). Ctrl-C stops every process it started.
 */
import { basename } from 'node:path';
import { killAllNow, takenPorts, freePort, portTaken, waitFor, type NeededPort } from './processes';
import { startStack, type Backend } from './stack';
import { demoConcertListed, seedDemoConcert } from './seed';
import { buildWeb, startWeb } from './web';
import { invoke, PortInUseError } from './offline';
import { removeStackEnv, stackEnvOf, STACK_ENV_FILE, writeStackEnv } from './stack-env';

const started = Date.now();
const backend = (process.env.LOCAL_BACKEND ?? 'embedded') as Backend;
const stage = process.env.STAGE ?? 'local';
const watch = process.argv.includes('--watch');
const log = (line: string) => console.log(`[local] ${line}`);

function portFromEnv(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${variable} must be a port number (1-65535), not "${raw}"`);
  return port;
}

/** A free port near `port` to suggest instead (the same offset for each, so they stay recognisable). */
async function suggestion(port: number, avoid: Set<number>): Promise<number> {
  for (let candidate = port + 100; candidate <= Math.min(65_535, port + 1000); candidate += 100) {
    if (!avoid.has(candidate) && !(await portTaken(candidate))) return candidate;
  }
  return freePort();
}

async function portsInUseMessage(taken: NeededPort[], needed: NeededPort[]): Promise<string> {
  const avoid = new Set(needed.map((p) => p.port));
  const moves: string[] = [];
  for (const p of taken) {
    const instead = await suggestion(p.port, avoid);
    avoid.add(instead);
    moves.push(`${p.variable}=${instead}`);
  }
  return [
    ...taken.map((p) => `cannot start: port ${p.port} is already in use (${p.what}, ${p.variable}).`),
    `Another \`npm start\` may be running: stop it (Ctrl-C in its terminal), or pick other ports, e.g.`,
    `  ${moves.join(' ')} npm start`,
  ].join('\n');
}

async function main() {
  if (backend !== 'embedded' && backend !== 'localstack') {
    throw new Error(`LOCAL_BACKEND must be "embedded" or "localstack", not "${backend}"`);
  }
  const httpPort = portFromEnv('PORT', 3000);
  const lambdaPort = portFromEnv('LAMBDA_PORT', 3002);
  const webPort = portFromEnv('WEB_PORT', 8080);
  const offlineHost = process.env.HOST ?? '127.0.0.1';
  const needed: NeededPort[] = [
    { port: httpPort, what: 'the API', variable: 'PORT', host: offlineHost },
    { port: lambdaPort, what: "serverless-offline's Lambda invoke API", variable: 'LAMBDA_PORT', host: offlineHost },
    { port: webPort, what: 'the web app', variable: 'WEB_PORT' },
  ];
  if (new Set(needed.map((p) => p.port)).size !== needed.length) {
    throw new Error(`PORT (${httpPort}), LAMBDA_PORT (${lambdaPort}) and WEB_PORT (${webPort}) must be three different ports`);
  }
  // Before anything starts: a second `npm start` must not talk to the first one's servers.
  const taken = await takenPorts(needed);
  if (taken.length > 0) {
    console.error((await portsInUseMessage(taken, needed)).replace(/^/gm, '[local] '));
    process.exit(1);
  }

  log(`starting the ${backend} stack (stage "${stage}"${watch ? ', watching functions/ and lib/' : ''})...`);
  log(`ports: API ${httpPort} (PORT), Lambda invoke API ${lambdaPort} (LAMBDA_PORT), web app ${webPort} (WEB_PORT); Redis, DynamoDB Local and the SQS emulator on free ports`);
  const stack = await startStack({ stage, backend, httpPort, lambdaPort, echo: true, log, watch });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    removeStackEnv();
    log(`${signal}: stopping...`);
    await stack.stop();
    log('stopped; nothing left running.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const demo = await seedDemoConcert(stack.baseUrl);
  log(`demo concert "${demo.concertId}" with dates ${demo.dates.join(', ')} (50 seats each)`);
  buildWeb(log);
  const web = await startWeb({ port: webPort, apiUrl: stack.baseUrl });

  // Ready means everything a newcomer uses answers: the API (health), the demo concert in
  // the public list, the Lambda invoke API (the health function through it) and the web
  // app's /v1 proxy.
  const lambda = `http://127.0.0.1:${stack.ports.lambda}`;
  await waitFor('the API', async () => {
    const res = await fetch(`${stack.baseUrl}/v1/health`);
    return res.status === 200 && ((await res.json()) as { ready?: boolean }).ready !== false;
  }, 30_000);
  await waitFor('the demo concert in GET /v1/concerts', () => demoConcertListed(stack.baseUrl), 30_000);
  const healthEvent = { version: '2.0', rawPath: '/v1/health', headers: {}, requestContext: { http: { method: 'GET', path: '/v1/health' } } };
  await waitFor('the Lambda invoke API', async () => (await invoke<{ statusCode: number }>(stack.ports.lambda, `concert-ticketing-${stage}-health`, healthEvent)).statusCode === 200, 30_000);
  await waitFor("the web app's /v1 proxy", () => demoConcertListed(web.url), 30_000);

  writeStackEnv(stackEnvOf(stack));
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: the API, the Lambda invoke API, the demo concert and the web app answer.`);
  console.log(`
  Concert ticketing is running:
    web app     ${web.url}   (sign in with any user id; /v1 is proxied to the API)
    API         ${stack.baseUrl}
    Lambda API  ${lambda}   (serverless-offline's invoke endpoint)
    curl -s -X POST ${stack.baseUrl}/v1/dev/tokens -d '{"userId":"alice"}'
    npm run invoke -- --function health --path test/events/http-get-health.json
    then follow "Using the API" and "Local invocation" in README.md. Ctrl-C stops everything.
    (${basename(STACK_ENV_FILE)} holds this stack's endpoints for \`npm run invoke\` until then.)
`);
}

process.on('exit', () => {
  removeStackEnv();
  killAllNow();
});
main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`[local] ${message}`);
  if (err instanceof PortInUseError) console.error('[local] Another program took the port while the stack was starting: stop it, or pick other ports (PORT, LAMBDA_PORT, WEB_PORT).');
  killAllNow();
  process.exit(1);
});
