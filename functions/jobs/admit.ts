/**
 * Scheduled admission (EventBridge, every minute). EventBridge cannot fire more often,
 * so one invocation loops for about a minute, running one admission pass per live
 * concert every ADMISSION_TICK_MS. Admission also happens immediately inside the queue
 * scripts whenever a slot frees (leave, payment) and on polls, so this loop is what ends
 * expired sessions and drops abandoned waiters when nobody else is looking.
 */
import { jobHandler } from '../../lib/jobs/handler';
import { admitWaitingUsers } from '../../lib/use-cases/admit-waiting-users';

export const handler = jobHandler('admitWaitingUsers', async (_event: unknown, { app, context }) =>
  admitWaitingUsers(app, () => context.getRemainingTimeInMillis()),
);
