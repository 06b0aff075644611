/**
 * The scheduled admission: the waiting room's loop over the concerts whose queues are
 * live (from the pre-queue on, and for a short while after the end so the queue's keys
 * get their expiry); every other concert costs nothing. Each pass hands the waiting room
 * the catalog's schedule, and now and then records the measured session lengths in the
 * deployment's history (the ETA prior of later concerts).
 */
import type { App } from '../app';
import { totalSeatsOf } from '../booking/catalog';
import { queueIsLive, queueSchedule } from '../booking/sale';
import { runAdmissionLoop } from '../queue/admission-loop';

export function admitWaitingUsers(app: Pick<App, 'catalog' | 'waitingRoom' | 'config' | 'history'>, remainingMs: () => number) {
  return runAdmissionLoop({
    room: app.waitingRoom,
    history: app.history,
    concerts: async () => {
      const now = Date.now();
      return (await app.catalog.listConcerts())
        .filter((c) => queueIsLive(c, now))
        .map((c) => ({ concertId: c.concertId, schedule: queueSchedule(c, totalSeatsOf(c)) }));
    },
    remainingMs,
    tickMs: app.config.ADMISSION_TICK_MS,
    runMs: app.config.ADMISSION_RUN_SECONDS * 1000,
  });
}
