/**
 * Giving a held seat back, within the holds+releases limit (lib/limits): the release
 * (lib/booking/holds.ts), then the queue's availability figure rises again so waiting
 * users see `seatsAvailable` go up. The release has committed by then; a Redis failure
 * is logged and fixed by the sweep.
 */
import type { App } from '../app';
import type { ReservationView } from '../booking/seat-store';
import { count, logger } from '../observability';

export async function releaseSeat(app: Pick<App, 'holds' | 'waitingRoom' | 'limits'>, userId: string, reservationId: string): Promise<ReservationView> {
  await app.limits.beforeRelease(userId, async () => (await app.holds.ownReservation(userId, reservationId)).concertId);
  const view = await app.holds.cancelHold(userId, reservationId);
  if (view.status === 'CANCELLED' || view.status === 'EXPIRED') {
    await app.waitingRoom.seatFreed(view.concertId, view.date, view.seatNo).catch((err: Error) => {
      count('StockUpdateFailed');
      logger.error('queue.stock_update_failed', { error: err, op: 'free' });
    });
  }
  return view;
}
