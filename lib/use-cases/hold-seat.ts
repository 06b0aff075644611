/**
 * Holding a seat as an active queue user: only while the concert is ON_SALE, then the
 * hold (lib/booking/holds.ts), then the queue's availability figure and the queue
 * session stretched to the hold's expiry so the holder can pay, at most one hold length
 * past the normal session end. The hold is already granted when the Redis steps run; if
 * Redis fails there the session keeps its original end and the figure is fixed by the
 * sweep's reconciliation, which is logged and counted, not an error. Before anything,
 * the caller's abuse limits (lib/limits): holds+releases per minute, and holds that
 * expired unpaid in this concert.
 */
import type { App } from '../app';
import type { HoldRequest } from '../booking/holds';
import type { ReservationView } from '../booking/seat-store';
import { count, logger } from '../observability';

export async function holdSeatInQueue(app: Pick<App, 'holds' | 'waitingRoom' | 'catalog' | 'limits'>, req: HoldRequest & { queueToken: string }): Promise<ReservationView> {
  const { queueToken, ...hold } = req;
  await app.catalog.requireOnSale(hold.concertId);
  await app.limits.beforeHold(hold.userId, hold.concertId);
  const reservation = await app.holds.holdSeat(hold);
  const expiresAt = Date.parse(reservation.expiresAt);
  await Promise.all([
    app.waitingRoom.extend(queueToken, expiresAt, expiresAt - Date.parse(reservation.createdAt)).catch((err: Error) => {
      count('QueueExtendFailed');
      logger.error('queue.extend_failed', { error: err });
    }),
    app.waitingRoom.seatHeld(hold.concertId, hold.date, hold.seatNo, expiresAt).catch((err: Error) => {
      count('StockUpdateFailed');
      logger.error('queue.stock_update_failed', { error: err, op: 'hold' });
    }),
  ]);
  return reservation;
}
