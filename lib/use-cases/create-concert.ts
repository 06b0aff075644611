/** Creating a concert with its queue settings, and answering with the queue's live figures. */
import type { App } from '../app';
import type { ConcertSpec } from '../booking/catalog';
import type { QueueSettings } from '../queue/waiting-room';

export async function createConcertWithQueue(app: Pick<App, 'catalog' | 'waitingRoom'>, spec: ConcertSpec & { queue?: Partial<QueueSettings> }) {
  const { queue, ...concertSpec } = spec;
  // Queue settings first: once the concert is on sale its queue must already behave as asked.
  if (queue) await app.waitingRoom.configure(spec.concertId, queue);
  const concert = await app.catalog.createConcert(concertSpec);
  return { ...concert, queue: await app.waitingRoom.figures(concert.concertId) };
}
