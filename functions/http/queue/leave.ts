/** DELETE /v1/queue/tokens/current (X-Queue-Token): leave the queue or give up the active slot. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { logger } from '../../../lib/observability';
import { leaveQueue } from '../../../lib/use-cases/leave-queue';

export const route = defineRoute({ endpoint: { method: 'DELETE', path: '/v1/queue/tokens/current' }, auth: 'user' });

export const handler = httpHandler(route, async ({ principal, queueToken, app }) => {
  const { ended } = await leaveQueue(app, principal.userId, queueToken);
  if (ended) logger.info('queue.left');
  return ok({ status: 'EXPIRED', reason: 'LEFT', ended });
});
