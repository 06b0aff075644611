/** Operators reading and changing a concert's queue: only for a concert that exists. */
import type { App } from '../app';
import { logger } from '../observability';
import type { QueueSettings } from '../queue/waiting-room';

/** The queue's live figures, with the requests the abuse limits refused (lib/limits). */
export async function queueFigures(app: Pick<App, 'catalog' | 'waitingRoom' | 'limits'>, concertId: string) {
  await app.catalog.requireConcert(concertId);
  const [figures, limited] = await Promise.all([app.waitingRoom.figures(concertId), app.limits.figures(concertId)]);
  return { ...figures, limited };
}

export async function changeQueueSettings(app: Pick<App, 'catalog' | 'waitingRoom'>, concertId: string, changes: Partial<QueueSettings>) {
  await app.catalog.requireConcert(concertId);
  const figures = await app.waitingRoom.configure(concertId, changes);
  logger.info('queue.settings_changed', { concertId, changes });
  return figures;
}
