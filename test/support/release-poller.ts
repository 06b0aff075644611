/**
 * Plays Lambda's SQS poller for the hold-release consumer, the way AWS really behaves
 * rather than the way the emulator and serverless-offline-sqs do: it receives batches
 * from a queue, invokes the real handler (functions/jobs/release-hold.ts, through its
 * middy stack) and deletes only what the handler did not report as failed. At chosen
 * rates it also
 *   - delivers a message twice in one batch (standard queues are at-least-once),
 *   - shuffles each batch (standard queues do not keep order),
 *   - fails a batch item before the handler sees it (a crash on that record): it stays
 *     on the queue and comes back after the visibility timeout,
 *   - runs the handler twice on the same batch (Lambda retrying an invocation whose first
 *     run actually finished), or throws the first run's answer away so every message of
 *     the batch is delivered again.
 * Test-only, never shipped.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { App } from '../../lib/app';
import { lambdaContext } from './lambda';

export interface DeliveryFaults {
  duplicate?: number;
  reorder?: boolean;
  failItem?: number;
  lambdaRetry?: number;
  lostInvocation?: number;
}

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

export class ReleasePoller {
  readonly stats = { batches: 0, records: 0, duplicates: 0, reordered: 0, failedItems: 0, handlerFailures: 0, lambdaRetries: 0, lostInvocations: 0, deleted: 0 };
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly app: App,
    private readonly queueUrl: string,
    private readonly handler: Handler,
    private readonly faults: DeliveryFaults,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const got = await this.pollOnce().catch(() => 0);
        if (!got) await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Delivers until the queue holds nothing (visible, in flight or delayed), or `maxMs` has passed. */
  async drain(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    const counts = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
    while (Date.now() < until) {
      if ((await this.pollOnce()) > 0) continue;
      const attrs = await this.app.clients.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: [...counts] }));
      if (counts.every((k) => Number(attrs.Attributes?.[k] ?? 0) === 0)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One receive-invoke-delete round; the number of messages received. */
  async pollOnce(): Promise<number> {
    const sqs = this.app.clients.sqs.client;
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
    const messages = got.Messages ?? [];
    if (messages.length === 0) return 0;
    this.stats.batches++;
    let records: SQSRecord[] = messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: (m.Attributes ?? {}) as SQSRecord['attributes'],
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:hold-release',
      awsRegion: 'us-east-1',
    }));
    for (const r of [...records]) {
      if (this.random() < (this.faults.duplicate ?? 0)) {
        this.stats.duplicates++;
        records.push({ ...r, messageId: `${r.messageId}-dup` });
      }
    }
    if (this.faults.reorder && records.length > 1) {
      records = records.map((r) => ({ r, k: this.random() })).sort((a, b) => a.k - b.k).map((x) => x.r);
      this.stats.reordered++;
    }
    // Records that "crash" before the handler runs: reported failed, left on the queue.
    const crashed = new Set(records.filter(() => this.random() < (this.faults.failItem ?? 0)).map((r) => r.messageId));
    this.stats.failedItems += crashed.size;
    const event: SQSEvent = { Records: records.filter((r) => !crashed.has(r.messageId)) };
    this.stats.records += event.Records.length;

    const failed = new Set(crashed);
    if (event.Records.length > 0) {
      let response = await this.handler(event, lambdaContext('releaseHold', 20_000));
      if (this.random() < (this.faults.lambdaRetry ?? 0)) {
        this.stats.lambdaRetries++;
        response = await this.handler(event, lambdaContext('releaseHold', 20_000));
      }
      for (const f of response?.batchItemFailures ?? []) failed.add(f.itemIdentifier);
      this.stats.handlerFailures += response?.batchItemFailures?.length ?? 0;
      if (this.random() < (this.faults.lostInvocation ?? 0)) {
        // The invocation's answer never reached the poller: nothing is deleted.
        this.stats.lostInvocations++;
        return messages.length;
      }
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!) && !failed.has(`${m.MessageId}-dup`));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      this.stats.deleted += done.length;
    }
    return messages.length;
  }
}
