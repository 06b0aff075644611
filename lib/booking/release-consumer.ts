/** What one hold-release message does (the SQS consumer's record handler). */
import { z } from 'zod';
import { logger } from '../observability';
import type { Holds } from './holds';
import type { ReleaseQueue } from './release-queue';

const Message = z.object({ reservationId: z.uuid(), expiresAt: z.number().int().optional() });

export async function handleReleaseMessage(deps: { holds: Holds; releases: ReleaseQueue }, body: string): Promise<void> {
  const message = Message.parse(JSON.parse(body));
  const result = await deps.holds.releaseExpiredHold(message.reservationId);
  if (result.outcome === 'NOT_DUE') {
    // Early (a hold longer than SQS's 15-minute delay, or clock skew): wait again.
    await deps.releases.send(message.reservationId, Date.now() + result.dueInMs);
    logger.debug('hold.release_redelayed', { reservationId: message.reservationId, dueInMs: result.dueInMs });
  } else if (result.outcome === 'NOTHING_TO_DO') {
    logger.debug('hold.release_noop', { reservationId: message.reservationId, status: result.status });
  }
}
