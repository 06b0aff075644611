/**
 * The delayed "release this hold" messages. SQS delays at most 15 minutes; a message
 * that arrives before the hold's expiry (longer holds, clock skew) is simply sent
 * again for the remaining time by the consumer (release-consumer.ts).
 *
 * If sending fails after the hold was written, the hold still ends on time: readers and
 * writers treat an expired hold as AVAILABLE at once, and the scheduled sweep
 * (Holds.sweepExpiredHolds) frees the seat item within a minute. So a send failure is
 * logged and counted, and the hold is still granted.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Sqs } from '../clients/sqs';
import { count, logger } from '../observability';

export const MAX_DELAY_SECONDS = 900;

/** How long a new hold's answer may wait for SQS; past that the sweep takes over. */
const SCHEDULE_DEADLINE_MS = 1_500;

export interface ReleaseMessage {
  reservationId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export function delaySecondsUntil(expiresAt: number, now = Date.now()): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((expiresAt - now) / 1000)));
}

export class ReleaseQueue {
  constructor(
    private readonly sqs: Sqs,
    private readonly queueName: string,
  ) {}

  /** Sends the release message; throws on failure (the consumer's re-delay needs to know). */
  async send(reservationId: string, expiresAt: number, abortSignal?: AbortSignal): Promise<void> {
    const body: ReleaseMessage = { reservationId, expiresAt };
    await this.sqs.client.send(
      new SendMessageCommand({
        QueueUrl: await this.sqs.queueUrl(this.queueName),
        MessageBody: JSON.stringify(body),
        DelaySeconds: delaySecondsUntil(expiresAt),
      }),
      { abortSignal },
    );
  }

  /** Schedules the release of a new hold; a failure is logged, counted and left to the sweep. */
  async schedule(reservationId: string, expiresAt: number): Promise<void> {
    try {
      await this.send(reservationId, expiresAt, AbortSignal.timeout(SCHEDULE_DEADLINE_MS));
    } catch (err) {
      count('HoldReleaseScheduleFailed');
      logger.error('hold.release_schedule_failed', { reservationId, error: err as Error, fallback: 'sweep' });
    }
  }
}
