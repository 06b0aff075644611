/**
 * Paying for held seats as an active queue user: the payment (lib/payment/payments.ts),
 * gated by the caller's ACTIVE queue token for the reservations' concert; then each seat
 * counts as sold in the queue's availability figure (when it was the last one the sale
 * ends SOLD_OUT at once: waiting users' next poll says so, and the catalog records it),
 * and, once the caller holds no live seat of the concert any more, the buyer's queue
 * session ends so the slot goes to the next user (with HOLD_LIMIT_PER_CONCERT > 1 a
 * buyer who still holds seats keeps the session to pay them).
 *
 * Ending the session races a hold the same user places at that moment. The hold side
 * cancels a hold whose session it finds ended (hold-seat.ts); this side reads the live
 * holds again after ending the session and cancels any that committed in between, so a
 * hold never outlives the session that could pay it, whichever order the two take.
 *
 * The purchase has committed by then, so a failure of these steps must not fail the
 * request: the session then runs out at its activeUntil, an unpayable hold expires, and
 * the sweep reconciles the figure (logged and counted). A replay (same Idempotency-Key)
 * runs these steps again, as the first attempt may have died before them, but ends the
 * sent queue token only if it is for the payment's concert.
 */
import type { App } from '../app';
import { seatsOf } from '../payment/payments';
import { count, logger } from '../observability';
import { parseQueueToken } from '../queue/keys';
import { cancelUnpayableHold } from './hold-seat';

export interface PayForSeatRequest {
  userId: string;
  reservationIds: string[];
  idempotencyKey: string;
  queueToken: string | undefined;
}

export async function payForSeat(app: Pick<App, 'payments' | 'waitingRoom' | 'catalog' | 'holds'>, req: PayForSeatRequest) {
  const result = await app.payments.pay({
    userId: req.userId,
    reservationIds: req.reservationIds,
    idempotencyKey: req.idempotencyKey,
    requireActive: (concertId) => app.waitingRoom.requireActive(req.queueToken, req.userId, concertId),
  });
  const p = result.payment;
  try {
    for (const seat of seatsOf(p)) {
      const stock = await app.waitingRoom.seatSold(p.concertId, seat.date, seat.seatNo);
      if (stock.state === 'SOLD_OUT') await app.catalog.markSoldOut(p.concertId);
    }
  } catch (err) {
    count('StockUpdateFailed');
    logger.error('queue.stock_update_failed', { error: err as Error, op: 'sold' });
  }
  // A replay never ends a session: the original payment did (or its session runs out),
  // and the token sent now may be a new place in the queue the user took since.
  if (!result.replayed && req.queueToken && parseQueueToken(req.queueToken)?.concertId === p.concertId) {
    try {
      await endSessionIfNothingHeld(app, req.userId, p.concertId, req.queueToken);
    } catch (err) {
      count('QueueFinishFailed');
      logger.error('queue.finish_failed', { error: err as Error, fallback: 'session expiry' });
    }
  }
  return result;
}

async function endSessionIfNothingHeld(app: Pick<App, 'waitingRoom' | 'holds'>, userId: string, concertId: string, queueToken: string) {
  if ((await app.holds.liveHolds(userId, concertId)).length > 0) return;
  await app.waitingRoom.finish(queueToken, userId, 'PAID');
  // Holds that committed between the read above and the end of the session: their
  // holder can no longer pay them, so they must not keep the seats from anyone else.
  for (const reservationId of await app.holds.liveHolds(userId, concertId)) {
    await cancelUnpayableHold(app, userId, reservationId);
  }
}
