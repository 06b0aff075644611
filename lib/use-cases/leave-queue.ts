/**
 * Leaving a queue (or giving up the active slot), within the enter/leave cycles limit of
 * that user and concert (lib/limits): a refused leave changes nothing, the place is kept.
 */
import type { App } from '../app';
import { parseQueueToken } from '../queue/keys';

export async function leaveQueue(app: Pick<App, 'waitingRoom' | 'limits'>, userId: string, queueToken: string | undefined) {
  const concertId = parseQueueToken(queueToken)?.concertId;
  if (concertId) await app.limits.beforeLeave(userId, concertId);
  return app.waitingRoom.leave(queueToken, userId);
}
