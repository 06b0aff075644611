/**
 * Creating a concert with its queue settings, and answering with the queue's live figures.
 * The queue is configured only after the catalog accepted the concert: a 409 for an
 * existing id or a 400 for its dates changes no live queue.
 */
import type { App } from '../app';
import type { ConcertSpec } from '../booking/catalog';
import type { QueueSettings } from '../queue/waiting-room';

export async function createConcertWithQueue(app: Pick<App, 'catalog' | 'waitingRoom'>, spec: ConcertSpec & { queue?: Partial<QueueSettings> }) {
  const { queue, ...concertSpec } = spec;
  const concert = await app.catalog.createConcert(concertSpec);
  if (queue) await app.waitingRoom.configure(concert.concertId, queue);
  return { ...concert, queue: await app.waitingRoom.figures(concert.concertId) };
}
