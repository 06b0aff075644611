/** The scheduled admission: the waiting room's loop over the concerts whose queues are live. */
import type { App } from '../app';
import { runAdmissionLoop } from '../queue/admission-loop';

export function admitWaitingUsers(app: Pick<App, 'catalog' | 'waitingRoom' | 'config'>, remainingMs: () => number) {
  return runAdmissionLoop({
    room: app.waitingRoom,
    concertIds: async () => (await app.catalog.listConcerts()).map((c) => c.concertId),
    remainingMs,
    tickMs: app.config.ADMISSION_TICK_MS,
    runMs: app.config.ADMISSION_RUN_SECONDS * 1000,
  });
}
