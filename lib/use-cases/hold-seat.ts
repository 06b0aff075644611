/**
 * Holding a seat as an active queue user: the hold (lib/booking/holds.ts), then the
 * queue session is stretched to the hold's expiry so the holder can pay, at most one
 * hold length past the normal session end. The hold is already granted when the
 * stretch runs; if Redis fails there the session keeps its original end, which is
 * logged and counted, not an error. Before anything, the caller's abuse limits
 * (lib/limits): holds+releases per minute, and holds that expired unpaid in this concert.
 */
import type { App } from '../app';
import type { HoldRequest } from '../booking/holds';
import type { ReservationView } from '../booking/seat-store';
import { count, logger } from '../observability';

export async function holdSeatInQueue(app: Pick<App, 'holds' | 'waitingRoom' | 'limits'>, req: HoldRequest & { queueToken: string }): Promise<ReservationView> {
  const { queueToken, ...hold } = req;
  await app.limits.beforeHold(hold.userId, hold.concertId);
  const reservation = await app.holds.holdSeat(hold);
  const expiresAt = Date.parse(reservation.expiresAt);
  try {
    await app.waitingRoom.extend(queueToken, expiresAt, expiresAt - Date.parse(reservation.createdAt));
  } catch (err) {
    count('QueueExtendFailed');
    logger.error('queue.extend_failed', { error: err as Error });
  }
  return reservation;
}
