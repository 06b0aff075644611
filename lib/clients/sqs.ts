/** The one SQS client of a Lambda container, and the hold-release queue's URL. */
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../config';
import { toDependencyError } from './dependency-errors';

const localCredentials =
  config.SQS_ENDPOINT && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;

export const sqs = new SQSClient({
  region: config.AWS_REGION,
  endpoint: config.SQS_ENDPOINT,
  credentials: localCredentials,
  maxAttempts: 3,
  requestHandler: {
    connectionTimeout: config.DEPENDENCY_TIMEOUT_MS,
    requestTimeout: config.DEPENDENCY_TIMEOUT_MS,
  },
});

sqs.middlewareStack.add(
  (next) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      throw toDependencyError('sqs', err);
    }
  },
  { step: 'initialize', name: 'dependencyErrors' },
);

let holdReleaseQueueUrl: Promise<string> | undefined;

/**
 * The queue is addressed by name in configuration (the same on AWS, LocalStack and the
 * embedded stack); its URL is looked up once per container.
 */
export function getHoldReleaseQueueUrl(): Promise<string> {
  holdReleaseQueueUrl ??= sqs
    .send(new GetQueueUrlCommand({ QueueName: config.HOLD_RELEASE_QUEUE_NAME }))
    .then((r) => {
      if (!r.QueueUrl) throw new Error(`Queue ${config.HOLD_RELEASE_QUEUE_NAME} has no URL`);
      return r.QueueUrl;
    })
    .catch((err) => {
      holdReleaseQueueUrl = undefined; // retry the lookup next time
      throw err;
    });
  return holdReleaseQueueUrl;
}
