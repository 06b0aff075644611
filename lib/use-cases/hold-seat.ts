/**
 * Holding a seat as an active queue user: only while the concert is ON_SALE, then the
 * hold (lib/booking/holds.ts), then the queue's availability figure and the queue
 * session stretched to the hold's expiry so the holder can pay, at most one hold length
 * past the normal session end. Before anything, the caller's abuse limits (lib/limits):
 * holds+releases per minute, and holds that expired unpaid in this concert.
 *
 * The queue gate let the request in while the session was ACTIVE, but the session can
 * end before the hold commits (the same user's payment of their last other hold, or the
 * session running out). Such a hold could never be paid, so when the extension finds
 * the session no longer active the hold is cancelled at once (seat AVAILABLE again) and
 * the caller gets 401 QUEUE_TOKEN_EXPIRED, as the gate would have said a moment later.
 * The other order of that race is handled by the payment (pay-for-seat.ts).
 *
 * When Redis fails after the hold was granted, the session keeps its original end and
 * the figure is fixed by the sweep's reconciliation (logged and counted, not an error).
 */
import type { App } from '../app';
import type { HoldRequest } from '../booking/holds';
import type { ReservationView } from '../booking/seat-store';
import { UnauthorizedError } from '../errors';
import { count, logger } from '../observability';

export async function holdSeatInQueue(app: Pick<App, 'holds' | 'waitingRoom' | 'catalog' | 'limits'>, req: HoldRequest & { queueToken: string }): Promise<ReservationView> {
  const { queueToken, ...hold } = req;
  await app.catalog.requireOnSale(hold.concertId);
  await app.limits.beforeHold(hold.userId, hold.concertId);
  const reservation = await app.holds.holdSeat(hold);
  const expiresAt = Date.parse(reservation.expiresAt);
  const [sessionUntil] = await Promise.all([
    app.waitingRoom.extend(queueToken, expiresAt, expiresAt - Date.parse(reservation.createdAt)).catch((err: Error) => {
      count('QueueExtendFailed');
      logger.error('queue.extend_failed', { error: err });
      return undefined;
    }),
    app.waitingRoom.seatHeld(hold.concertId, hold.date, hold.seatNo, expiresAt).catch((err: Error) => {
      count('StockUpdateFailed');
      logger.error('queue.stock_update_failed', { error: err, op: 'hold' });
    }),
  ]);
  if (sessionUntil === 0) {
    await cancelUnpayableHold(app, hold.userId, reservation.reservationId);
    throw new UnauthorizedError('QUEUE_TOKEN_EXPIRED', 'Your queue session ended while the seat was being held, so the hold was cancelled; enter the queue again.', {
      reason: 'SESSION_ENDED',
    });
  }
  return reservation;
}

/**
 * Cancels a hold whose queue session has ended (it can no longer be paid) and gives the
 * seat back to the queue's availability figure. Not the holder's release: no abuse limit
 * applies, and it never counts as a hold that expired unpaid.
 */
export async function cancelUnpayableHold(app: Pick<App, 'holds' | 'waitingRoom'>, userId: string, reservationId: string): Promise<void> {
  const view = await app.holds.cancelHold(userId, reservationId);
  count('HoldsCancelledSessionEnded');
  logger.warn('hold.cancelled_session_ended', { reservationId, concertId: view.concertId, status: view.status });
  if (view.status === 'CANCELLED' || view.status === 'EXPIRED') {
    await app.waitingRoom.seatFreed(view.concertId, view.date, view.seatNo).catch((err: Error) => {
      count('StockUpdateFailed');
      logger.error('queue.stock_update_failed', { error: err, op: 'free' });
    });
  }
}
