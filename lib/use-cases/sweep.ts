/**
 * The scheduled safety net (every minute): frees seats whose hold expired but whose
 * release message never came, then reconciles each live concert's availability figure
 * in Redis with DynamoDB (the only truth about seats), and records SOLD_OUT when every
 * seat is RESERVED even if the payment's own Redis step failed.
 */
import type { App } from '../app';
import { totalSeatsOf } from '../booking/catalog';
import { queueIsOpen } from '../booking/sale';
import { showId } from '../booking/seat-store';
import { logger } from '../observability';

export async function sweepAndReconcile(app: Pick<App, 'holds' | 'catalog' | 'seats' | 'waitingRoom' | 'config'>, now = Date.now()) {
  const swept = await app.holds.sweepExpiredHolds(now, app.config.SWEEP_GRACE_SECONDS * 1000);
  let reconciled = 0;
  for (const concert of await app.catalog.listConcerts()) {
    if (!queueIsOpen(concert, now)) continue;
    try {
      const held: { date: string; seatNo: number; untilMs: number }[] = [];
      const sold: { date: string; seatNo: number }[] = [];
      for (const d of concert.dates) {
        for (const seat of await app.seats.querySeats(showId(concert.concertId, d.date))) {
          const seatNo = Number(seat.seatNo);
          if (seat.status === 'RESERVED') sold.push({ date: d.date, seatNo });
          else if (seat.status === 'HELD' && Number(seat.holdExpiresAt) > now) held.push({ date: d.date, seatNo, untilMs: Number(seat.holdExpiresAt) });
        }
      }
      const total = totalSeatsOf(concert);
      const stock = await app.waitingRoom.reconcileStock(concert.concertId, { total, held, sold });
      if (stock.state === 'SOLD_OUT' || sold.length >= total) await app.catalog.markSoldOut(concert.concertId, now);
      reconciled++;
    } catch (err) {
      logger.error('stock.reconcile_failed', { concertId: concert.concertId, error: err as Error });
    }
  }
  return { ...swept, reconciled };
}
