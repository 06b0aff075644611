/** What the DynamoDB and SQS clients share: endpoint, credentials, timeouts, outage mapping. */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Config } from '../config';
import type { Dependency } from '../errors';
import { toDependencyError } from './dependency-errors';

/** Sockets per client and container, as the SDK's own default (a Lambda container serves one request at a time). */
export const AWS_MAX_SOCKETS = 50;

type CreatesConnections = { createConnection: (options: unknown, callback?: unknown) => Duplex };

/**
 * Keep-alive sockets whose connect, and only the connect, must finish within `connectMs`.
 *
 * The SDK's `connectionTimeout` starts when the request is created, so with every socket
 * of the pool busy (hundreds of requests at once in one process: serverless-offline, a
 * burst in one container) the time spent queued for a socket counted as a failed connect
 * and a merely busy DynamoDB was answered 503. Here the timer starts when a socket starts
 * connecting: an unreachable service is still an outage after `connectMs` (ETIMEDOUT),
 * a queue in front of a reachable one is not.
 */
export function connectTimeoutAgent<A extends http.Agent>(AgentClass: new (o: http.AgentOptions) => A, connectMs: number): A {
  const agent = new AgentClass({ keepAlive: true, maxSockets: AWS_MAX_SOCKETS });
  const pooled = agent as unknown as CreatesConnections;
  const create = pooled.createConnection.bind(agent);
  pooled.createConnection = (options, callback) => {
    const socket = create(options, callback);
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error(`connect ETIMEDOUT: no connection within ${connectMs} ms`), { code: 'ETIMEDOUT' }));
    }, connectMs);
    const done = () => clearTimeout(timer);
    socket.once('connect', done);
    socket.once('secureConnect', done);
    socket.once('close', done);
    return socket;
  };
  return agent;
}

/** What an AWS client needs besides its own options: the sockets, closed with the client. */
export interface AwsClientSetup {
  clientConfig: ReturnType<typeof clientConfig>;
  /** Closes the pooled sockets (the SDK leaves agents it did not create open). */
  destroyAgents(): void;
}

/** Client settings for an AWS service; `endpoint` is set only off AWS (embedded stack, LocalStack). */
export function awsClientConfig(config: Config, endpoint: string | undefined): AwsClientSetup {
  const httpAgent = connectTimeoutAgent(http.Agent, config.DEPENDENCY_TIMEOUT_MS);
  const httpsAgent = connectTimeoutAgent(https.Agent, config.DEPENDENCY_TIMEOUT_MS);
  return {
    clientConfig: clientConfig(config, endpoint, httpAgent, httpsAgent),
    destroyAgents: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function clientConfig(config: Config, endpoint: string | undefined, httpAgent: http.Agent, httpsAgent: https.Agent) {
  return {
    region: config.AWS_REGION,
    endpoint,
    // Emulators accept any key; on AWS the Lambda role's credentials are used.
    credentials: endpoint && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 3,
    // No `connectionTimeout` or `requestTimeout` here: both start when the request is
    // created, so they count the wait for a free socket (see connectTimeoutAgent); the
    // first fails the request, the second only warns. A slow answer from a reachable
    // service is not an outage; the function's own timeout bounds it.
    requestHandler: { httpAgent, httpsAgent },
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
