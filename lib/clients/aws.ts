/** What the DynamoDB and SQS clients share: endpoint, credentials, timeouts, outage mapping. */
import type { Config } from '../config';
import type { Dependency } from '../errors';
import { toDependencyError } from './dependency-errors';

/** Client settings for an AWS service; `endpoint` is set only off AWS (embedded stack, LocalStack). */
export function awsClientConfig(config: Config, endpoint: string | undefined) {
  return {
    region: config.AWS_REGION,
    endpoint,
    // Emulators accept any key; on AWS the Lambda role's credentials are used.
    credentials: endpoint && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: config.DEPENDENCY_TIMEOUT_MS, requestTimeout: config.DEPENDENCY_TIMEOUT_MS },
  };
}

interface HasMiddleware {
  middlewareStack: { add: (mw: (next: (a: any) => Promise<any>) => (a: any) => Promise<any>, o: { step: 'initialize'; name: string }) => void };
}

/** Turns outages of the client's service into DependencyUnavailableError (a 503). */
export function mapOutages(client: HasMiddleware, dependency: Dependency): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw toDependencyError(dependency, err);
      }
    },
    { step: 'initialize', name: 'dependencyErrors' },
  );
}
