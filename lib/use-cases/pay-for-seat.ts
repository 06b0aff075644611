/**
 * Paying for a held seat as an active queue user: the payment (lib/payment/payments.ts),
 * gated by the caller's ACTIVE queue token for the reservation's concert; then the seat
 * counts as sold in the queue's availability figure (when it was the last one the sale
 * ends SOLD_OUT at once: waiting users' next poll says so, and the catalog records it),
 * and the buyer's queue session ends so the slot goes to the next user. The purchase
 * has committed by then, so a failure of these steps must not fail the request: the
 * session then runs out at its activeUntil and the sweep reconciles the figure (logged
 * and counted).
 */
import type { App } from '../app';
import { count, logger } from '../observability';

export interface PayForSeatRequest {
  userId: string;
  reservationId: string;
  idempotencyKey: string;
  queueToken: string | undefined;
}

export async function payForSeat(app: Pick<App, 'payments' | 'waitingRoom' | 'catalog'>, req: PayForSeatRequest) {
  const result = await app.payments.pay({
    userId: req.userId,
    reservationId: req.reservationId,
    idempotencyKey: req.idempotencyKey,
    requireActive: (concertId) => app.waitingRoom.requireActive(req.queueToken, req.userId, concertId),
  });
  const p = result.payment;
  // Also on a replay: the first attempt may have committed and then died before this.
  try {
    const stock = await app.waitingRoom.seatSold(p.concertId, p.date, p.seatNo);
    if (stock.state === 'SOLD_OUT') await app.catalog.markSoldOut(p.concertId);
  } catch (err) {
    count('StockUpdateFailed');
    logger.error('queue.stock_update_failed', { error: err as Error, op: 'sold' });
  }
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
