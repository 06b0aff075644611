/**
 * Starts the embedded stack once for the whole run, on free ports, and hands its
 * endpoints to the test workers through the environment (workers inherit it).
 * It always starts its own stack (TEST_BASE_URL is set here for the workers, not read).
 * TEST_REDIS_CLUSTER=true (jest.cluster.config.js, `npm run test:cluster`) runs the stack
 * on a 3-master Redis Cluster with REDIS_CLUSTER=true instead of one redis-server.
 * It also builds the web app for the browser tests (web/dist, skipped when current).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../infra/local/processes';
import { startStack, type RunningStack } from '../../infra/local/stack';
import { buildWeb } from '../../infra/local/web';
import { stackEnvOf, writeStackEnv } from '../../infra/local/stack-env';

declare global {
  // eslint-disable-next-line no-var
  var __STACK__: RunningStack | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // The browser tests (test/web) serve web/dist: built once here (skipped when current),
  // as two test files building at once in parallel workers collide.
  buildWeb((line) => console.log(`\n[test] ${line}`));
  const httpPort = await freePort();
  const logFile = join(tmpdir(), `concert-ticketing-offline-${process.pid}.log`);
  const stack = await startStack({
    stage: 'test',
    backend: 'embedded',
    httpPort,
    offlineLogFile: logFile,
    redisCluster: process.env.TEST_REDIS_CLUSTER === 'true',
    // The contention tests top up one wallet 100 times at once; the top-up limit's own
    // test (test/integration/limits.test.ts) runs it at its default.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN', RATE_LIMIT_TOPUPS_PER_MINUTE: '1000' },
  });
  globalThis.__STACK__ = stack;
  const resourcesFile = join(tmpdir(), `concert-ticketing-resources-${process.pid}.json`);
  writeFileSync(resourcesFile, JSON.stringify(stack.resources));
  // What `npm start` writes to .local-stack.env, for the local invocation tests (npm run invoke).
  const stackEnvFile = join(tmpdir(), `concert-ticketing-stack-${process.pid}.env`);
  writeStackEnv(stackEnvOf(stack), stackEnvFile);
  Object.assign(process.env, stack.env, {
    TEST_BASE_URL: stack.baseUrl,
    TEST_REDIS_PORT: String(stack.ports.redis),
    ...(stack.ports.redisCluster ? { TEST_REDIS_CLUSTER_PORTS: stack.ports.redisCluster.join(',') } : {}),
    TEST_OFFLINE_LOG: logFile,
    TEST_RESOURCES_FILE: resourcesFile,
    TEST_LAMBDA_PORT: String(stack.ports.lambda),
    TEST_STACK_ENV_FILE: stackEnvFile,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const redis = stack.ports.redisCluster ? `, Redis Cluster masters on ${stack.ports.redisCluster.join(', ')}` : '';
  console.log(`\n[test] stack up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${stack.baseUrl}${redis} (serverless-offline log: ${logFile})`);
}
