/** The holder gives an unpaid seat back now, within the holds+releases limit (lib/limits). */
import type { App } from '../app';
import type { ReservationView } from '../booking/seat-store';

export async function giveUpHold(app: Pick<App, 'holds' | 'limits'>, userId: string, reservationId: string): Promise<ReservationView> {
  await app.limits.beforeRelease(userId);
  return app.holds.cancelHold(userId, reservationId);
}
