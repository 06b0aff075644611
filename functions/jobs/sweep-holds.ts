/**
 * Scheduled safety net (every minute): frees seats whose hold expired more than
 * SWEEP_GRACE_SECONDS ago but whose release message never came (send failed, lost).
 */
import { jobHandler } from '../../lib/jobs/handler';

export const handler = jobHandler('sweepExpiredHolds', async (_event: unknown, { app }) =>
  app.holds.sweepExpiredHolds(Date.now(), app.config.SWEEP_GRACE_SECONDS * 1000),
);
