/**
 * Creating a concert with its sale window and queue settings, and answering with the
 * queue's live figures. The definition is checked before anything is written, and the
 * queue is configured only once the concert exists (a 409 for an existing id or a 400
 * changes no live queue). The ETA prior (`expectedSessionSeconds`) defaults to the
 * deployment's measured history (lib/queue/history.ts), else to the deployment's
 * QUEUE_EXPECTED_SESSION_SECONDS when an operator set it.
 */
import type { App } from '../app';
import { publicConcert, totalSeatsOf, validateSpec, type ConcertSpec } from '../booking/catalog';
import { queueSchedule } from '../booking/sale';
import { logger } from '../observability';
import type { QueueSettings } from '../queue/waiting-room';

export async function createConcertWithQueue(app: Pick<App, 'catalog' | 'waitingRoom' | 'history' | 'config'>, spec: ConcertSpec & { queue?: Partial<QueueSettings> }) {
  const { queue, ...concertSpec } = spec;
  validateSpec(concertSpec);
  const concert = await app.catalog.createConcert(concertSpec);
  const settings: Partial<QueueSettings> = { ...queue };
  if (settings.expectedSessionSeconds === undefined) {
    const measured = await app.history.meanSessionMs().catch((err: Error) => {
      logger.warn('queue.history_unavailable', { error: err });
      return undefined;
    });
    if (measured !== undefined) settings.expectedSessionSeconds = Math.max(1, Math.round(measured / 1000));
    // Without history, the deployment's setting, if an operator made one; with neither, the
    // session length stands in (an upper bound the ETA weighs little, estimates.ts).
    else if (app.config.QUEUE_EXPECTED_SESSION_SECONDS !== undefined) settings.expectedSessionSeconds = app.config.QUEUE_EXPECTED_SESSION_SECONDS;
  }
  // The schedule first: the queue must know its opening before anything else runs on it.
  await app.waitingRoom.schedule(concert.concertId, queueSchedule(concert, totalSeatsOf(concert)));
  if (Object.keys(settings).length > 0) await app.waitingRoom.configure(concert.concertId, settings);
  return { ...publicConcert(concert), queue: await app.waitingRoom.figures(concert.concertId) };
}

