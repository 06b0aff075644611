/**
 * The admission loop run by the scheduled function: one admission pass per live concert
 * every `tickMs`, until the invocation's time is nearly up. Which concerts to visit is
 * the caller's business (`concertIds`, asked once per pass), so the waiting room knows
 * nothing of the catalog. A failed pass (Redis briefly down) is logged and counted and
 * the loop goes on; the next pass catches up because each pass works from the current
 * state, not from a backlog.
 */
import { count, logger, metrics, MetricUnit, publishRecordedMetrics } from '../observability';
import { sleep } from '../retry';
import type { QueueHistory } from './history';
import type { QueueSchedule, WaitingRoom } from './waiting-room';

const STOP_MARGIN_MS = 2_000;
const GAUGE_EVERY_MS = 10_000;

export interface AdmissionLoopOptions {
  room: WaitingRoom;
  /** Where measured session lengths are recorded (every GAUGE_EVERY_MS). */
  history?: QueueHistory;
  /** The concerts whose queues are live now, with their schedules. */
  concerts: () => Promise<{ concertId: string; schedule: QueueSchedule }[]>;
  /** Time left in the invocation. */
  remainingMs: () => number;
  tickMs: number;
  runMs: number;
}

export async function runAdmissionLoop(o: AdmissionLoopOptions) {
  const started = Date.now();
  let passes = 0;
  let admitted = 0;
  let lastGauge = 0;
  do {
    const passStart = Date.now();
    try {
      for (const { concertId, schedule } of await o.concerts()) {
        // One concert's failure must not stop admissions for the others.
        const r = await o.room.admit(concertId, schedule).catch((err: Error) => {
          count('AdmissionPassFailed');
          logger.error('queue.admission_failed', { concertId, error: err });
          return undefined;
        });
        if (!r) continue;
        admitted += r.admitted;
        if (r.entered > 0) count('QueueEntered', r.entered);
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
          // The totals came with the admission run (no figures call, no extra scan).
          if (o.history) await o.history.record(concertId, r.sessionsEnded, r.sessionMsTotal).catch(() => undefined);
        }
      }
      if (passStart - lastGauge >= GAUGE_EVERY_MS) lastGauge = passStart;
    } catch (err) {
      count('AdmissionPassFailed');
      logger.error('queue.admission_pass_failed', { error: err as Error });
    }
    passes++;
    publishRecordedMetrics();
    const elapsed = Date.now() - passStart;
    await sleep(Math.max(0, o.tickMs - elapsed));
  } while (Date.now() - started + o.tickMs < o.runMs && o.remainingMs() > STOP_MARGIN_MS + o.tickMs);
  logger.info('queue.admission_loop_done', { passes, admitted, ms: Date.now() - started });
  return { passes, admitted };
}
