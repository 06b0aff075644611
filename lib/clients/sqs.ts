/** The SQS client of an app (one per Lambda container), and queue URLs looked up by name. */
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config';
import { awsClientConfig, mapOutages } from './aws';

export class Sqs {
  readonly client: SQSClient;
  private readonly destroyAgents: () => void;
  private readonly urls = new Map<string, Promise<string>>();

  constructor(config: Config) {
    const setup = awsClientConfig(config, config.SQS_ENDPOINT);
    this.client = new SQSClient(setup.clientConfig);
    this.destroyAgents = setup.destroyAgents;
    mapOutages(this.client, 'sqs');
  }

  /**
   * Queues are addressed by name in configuration (the same on AWS, LocalStack and the
   * embedded stack); each URL is looked up once per container.
   */
  queueUrl(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.client
        .send(new GetQueueUrlCommand({ QueueName: name }))
        .then((r) => {
          if (!r.QueueUrl) throw new Error(`Queue ${name} has no URL`);
          return r.QueueUrl;
        })
        .catch((err) => {
          this.urls.delete(name); // retry the lookup next time
          throw err;
        });
      this.urls.set(name, url);
    }
    return url;
  }

  destroy(): void {
    this.client.destroy();
    this.destroyAgents();
  }
}
