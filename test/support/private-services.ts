/**
 * Private backing services for tests that stop and restart one (outage tests), so the
 * shared stack of the other test files is never disturbed.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { freePort, type Child } from '../../infra/local/processes';
import { createResources } from '../../infra/local/resources';
import { localDynamoClient, startDynamo, startRedis } from '../../infra/local/services';

export { freePort, startDynamo, startRedis, type Child };

/**
 * An endpoint of a dependency that is down: a port this process keeps bound (so no server
 * started later by another suite gets it, as a port from freePort() might) and whose every
 * connection is dropped at once. Closed when the process exits.
 */
export async function deadEndpoint(): Promise<string> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Creates the service's tables (from the same resolved template as the stack) on `endpoint`. */
export async function createTables(endpoint: string): Promise<void> {
  const resources = JSON.parse(readFileSync(process.env.TEST_RESOURCES_FILE!, 'utf8'));
  const tablesOnly = Object.fromEntries(Object.entries(resources).filter(([, r]) => (r as { Type: string }).Type === 'AWS::DynamoDB::Table'));
  const dynamo = localDynamoClient(endpoint);
  await createResources(tablesOnly as never, dynamo, new SQSClient({ region: 'us-east-1' }));
  dynamo.destroy();
}
