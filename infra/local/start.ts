/**
 * `npm start`: the whole service on this machine.
 *   embedded (default): private redis-server, DynamoDB Local and the SQS emulator, no Docker
 *   LOCAL_BACKEND=localstack: LocalStack (DynamoDB, SQS) and Redis from docker-compose.yml
 * Then tables and queues from infra/resources.yml, a demo concert, and serverless-offline
 * on PORT (3000) with the admission schedule and the hold-release consumer running.
 * Ctrl-C stops every process it started.
 */
import { killAllNow } from './processes';
import { startStack, type Backend } from './stack';
import { seedDemoConcert } from './seed';
import { buildWeb, startWeb } from './web';

const backend = (process.env.LOCAL_BACKEND ?? 'embedded') as Backend;
const httpPort = Number(process.env.PORT ?? 3000);
const webPort = Number(process.env.WEB_PORT ?? 8080);
const stage = process.env.STAGE ?? 'local';
const log = (line: string) => console.log(`[local] ${line}`);

async function main() {
  if (backend !== 'embedded' && backend !== 'localstack') {
    throw new Error(`LOCAL_BACKEND must be "embedded" or "localstack", not "${backend}"`);
  }
  log(`starting the ${backend} stack (stage "${stage}")...`);
  const stack = await startStack({
    stage,
    backend,
    httpPort,
    lambdaPort: process.env.LAMBDA_PORT ? Number(process.env.LAMBDA_PORT) : undefined,
    echo: true,
    log,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
  console.log(`
  Concert ticketing is running:
    web app  ${web.url}   (sign in with any user id; /v1 is proxied to the API)
    API      ${stack.baseUrl}
    curl -s -X POST ${stack.baseUrl}/v1/dev/tokens -d '{"userId":"alice"}'
    then follow "Using the API" in README.md. Ctrl-C stops everything.
`);
}

process.on('exit', killAllNow);
main().catch((err) => {
  console.error(`[local] ${err instanceof Error ? err.message : String(err)}`);
  killAllNow();
  process.exit(1);
});
