/** The one SQS client of a Lambda container, and the hold-release queue's URL. */
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../config';
import { awsClientConfig, mapOutages } from './aws';

export const sqs = new SQSClient(awsClientConfig(config.SQS_ENDPOINT));
mapOutages(sqs, 'sqs');

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
