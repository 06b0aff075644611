/**
 * Scheduled safety net (every minute): frees seats whose hold expired more than
 * SWEEP_GRACE_SECONDS ago but whose release message never came (send failed, lost), and
 * reconciles the queues' availability figures with DynamoDB (lib/use-cases/sweep.ts).
 */
import { jobHandler } from '../../lib/jobs/handler';
import { sweepAndReconcile } from '../../lib/use-cases/sweep';

export const handler = jobHandler('sweepExpiredHolds', async (_event: unknown, { app }) => sweepAndReconcile(app));
