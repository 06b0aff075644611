/**
 * The admission loop run by the scheduled function: one admission pass per concert on
 * sale every ADMISSION_TICK_MS, until the invocation's time is nearly up. A failed pass
 * (Redis briefly down) is logged and counted and the loop goes on; the next pass
 * catches up because each pass works from the current state, not from a backlog.
 */
import { listConcerts } from '../booking/catalog';
import { sleep } from '../clients/transactions';
import { config } from '../config';
import { count, logger, metrics, MetricUnit } from '../observability';
import { waitingRoom } from './index';

const STOP_MARGIN_MS = 2_000;
const GAUGE_EVERY_MS = 10_000;

export async function runAdmissionLoop(remainingMs: () => number, runMs = config.ADMISSION_RUN_SECONDS * 1000) {
  const started = Date.now();
  let passes = 0;
  let admitted = 0;
  let lastGauge = 0;
  do {
    const passStart = Date.now();
    try {
      const concerts = await listConcerts();
      for (const { concertId } of concerts) {
        // One concert's failure must not stop admissions for the others.
        const r = await waitingRoom.admit(concertId).catch((err: Error) => {
          count('AdmissionPassFailed');
          logger.error('queue.admission_failed', { concertId, error: err });
          return undefined;
        });
        if (!r) continue;
        admitted += r.admitted;
        if (r.admitted > 0 || r.abandoned > 0) {
          count('QueueAdmitted', r.admitted);
          if (r.abandoned > 0) count('QueueAbandoned', r.abandoned);
          logger.info('queue.admitted', { concertId, ...r });
        }
        if (passStart - lastGauge >= GAUGE_EVERY_MS) {
          const gauge = metrics.singleMetric();
          gauge.addDimension('concertId', concertId);
          gauge.addMetric('QueueWaiting', MetricUnit.Count, r.waiting);
          gauge.addMetric('QueueActive', MetricUnit.Count, r.active);
        }
      }
      if (passStart - lastGauge >= GAUGE_EVERY_MS) lastGauge = passStart;
    } catch (err) {
      count('AdmissionPassFailed');
      logger.error('queue.admission_pass_failed', { error: err as Error });
    }
    passes++;
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    const elapsed = Date.now() - passStart;
    await sleep(Math.max(0, config.ADMISSION_TICK_MS - elapsed));
  } while (Date.now() - started + config.ADMISSION_TICK_MS < runMs && remainingMs() > STOP_MARGIN_MS + config.ADMISSION_TICK_MS);
  logger.info('queue.admission_loop_done', { passes, admitted, ms: Date.now() - started });
  return { passes, admitted };
}
