/**
 * Paying for a held seat as an active queue user: the payment (lib/payment/payments.ts),
 * gated by the caller's ACTIVE queue token for the reservation's concert, then the
 * buyer's queue session ends so the slot goes to the next user at once. The purchase has
 * committed by then, so a failure to end the session must not fail the request: the
 * session then simply runs out at its activeUntil (logged and counted).
 */
import type { App } from '../app';
import { count, logger } from '../observability';

export interface PayForSeatRequest {
  userId: string;
  reservationId: string;
  idempotencyKey: string;
  queueToken: string | undefined;
}

export async function payForSeat(app: Pick<App, 'payments' | 'waitingRoom'>, req: PayForSeatRequest) {
  const result = await app.payments.pay({
    userId: req.userId,
    reservationId: req.reservationId,
    idempotencyKey: req.idempotencyKey,
    requireActive: (concertId) => app.waitingRoom.requireActive(req.queueToken, req.userId, concertId),
  });
  // Also on a replay: the first attempt may have committed and then died before this.
  if (req.queueToken) {
    try {
      await app.waitingRoom.finish(req.queueToken, req.userId, 'PAID');
    } catch (err) {
      count('QueueFinishFailed');
      logger.error('queue.finish_failed', { error: err as Error, fallback: 'session expiry' });
    }
  }
  return result;
}
