/** The container's waiting room, on the shared Redis connection. */
import { redis } from '../clients/redis';
import { count, logger } from '../observability';
import { WaitingRoom } from './waiting-room';

export const waitingRoom = new WaitingRoom(redis);

/** The queue gate of the booking endpoints (RouteSpec.queueGate.gate). */
export const requireActiveQueueToken = (token: string | undefined, userId: string, concertId: string) =>
  waitingRoom.requireActive(token, userId, concertId);

/**
 * A user who holds a seat keeps the active slot until the hold ends, so the session is
 * stretched to the hold's expiry (at most one hold length past the normal session end).
 * The hold is already granted; if Redis fails here the session keeps its original end,
 * which is logged and counted, not an error.
 */
export async function keepSessionForHold(token: string, hold: { createdAt: string; expiresAt: string }): Promise<void> {
  const expiresAt = Date.parse(hold.expiresAt);
  try {
    await waitingRoom.extend(token, expiresAt, expiresAt - Date.parse(hold.createdAt));
  } catch (err) {
    count('QueueExtendFailed');
    logger.error('queue.extend_failed', { error: err as Error });
  }
}

/**
 * Ends the buyer's queue session after a purchase so the slot goes to the next user at
 * once. The purchase has already committed, so a failure here must not fail the
 * request: the session then simply runs out at its activeUntil. It is logged and counted.
 */
export async function endSessionAfterPurchase(token: string | undefined, userId: string): Promise<void> {
  if (!token) return;
  try {
    await waitingRoom.finish(token, userId, 'PAID');
  } catch (err) {
    count('QueueFinishFailed');
    logger.error('queue.finish_failed', { error: err as Error, fallback: 'session expiry' });
  }
}

export * from './waiting-room';
export { parseQueueToken } from './keys';
