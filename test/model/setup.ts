/**
 * The app a model run drives: composed in-process (lib/app.ts) on the stack's
 * endpoints, with limits opened wide (the model tests the booking rules, the abuse
 * limits have their own tests), a release queue of its own drained by a Lambda-like
 * poller, and the fault layer installed (switched on by the caller).
 */
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createApp, useApp } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import { handler as releaseConsumer } from '../../functions/jobs/release-hold';
import { Faults, type FaultRates } from '../support/faults';
import { ReleasePoller } from '../support/release-poller';
import type { ModelContext } from './booking-model';

/** Rates the model runs with faults on: low enough that sequences stay fast, high enough to hit every path often. */
export const MODEL_FAULTS: FaultRates = { conflict: 0.05, throttle: 0.01, lostReply: 0.05, sqsLostReply: 0.1 };

export async function modelContext(seed: number): Promise<ModelContext & { faults: Faults; close: () => Promise<void> }> {
  const queueName = `model-release-${randomUUID().slice(0, 8)}`;
  const app = createApp(
    loadConfig({
      ...process.env,
      HOLD_RELEASE_QUEUE_NAME: queueName,
      QUEUE_ADMIT_PER_SECOND: '1000',
      QUEUE_POLL_MIN_FRACTION: '0',
      RATE_LIMIT_TOPUPS_PER_MINUTE: '1000',
      RATE_LIMIT_HOLDS_PER_MINUTE: '1000',
      RATE_LIMIT_QUEUE_CYCLES_PER_MINUTE: '1000',
      UNPAID_HOLDS_LIMIT: '1000',
    }),
  );
  useApp(app);
  const queueUrl = (await app.clients.sqs.client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '1' } }))).QueueUrl!;
  const faults = new Faults({}, seed).install(app);
  let n = 0;
  let s = seed >>> 0;
  const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const poller = new ReleasePoller(app, queueUrl, releaseConsumer as any, { duplicate: 0.2, reorder: true, failItem: 0.1, lambdaRetry: 0.1, lostInvocation: 0.05 }, random);
  return {
    app,
    poller,
    faults,
    stats: { operations: 0, sequences: 0, invariantChecks: 0, edgeOutcomes: 0 },
    uniqueId: (prefix) => `${prefix}-${seed.toString(36)}-${(++n).toString(36)}-${randomUUID().slice(0, 6)}`,
    close: async () => {
      faults.disable();
      await app.clients.sqs.client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
      await app.close();
    },
  };
}
