/** Entering a concert's waiting room: only for a concert on sale (the waiting room itself knows no concerts). */
import type { App } from '../app';
import { count, logger } from '../observability';

export async function enterQueue(app: Pick<App, 'catalog' | 'waitingRoom'>, userId: string, concertId: string) {
  await app.catalog.requireConcertOnSale(concertId);
  const { created, ...ticket } = await app.waitingRoom.enter(concertId, userId);
  if (created) {
    count('QueueEntered');
    logger.info('queue.entered', { concertId, status: ticket.status, position: ticket.position });
  }
  return { created, ticket };
}
