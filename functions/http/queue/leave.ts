/** DELETE /v1/queue/tokens/current (X-Queue-Token): leave the queue or give up the active slot. */
import { httpHandler, ok } from '../../../lib/http/handler';
import { logger } from '../../../lib/observability';
import { waitingRoom } from '../../../lib/queue';

export const handler = httpHandler({ auth: 'user' }, async ({ principal, queueToken }) => {
  const { ended } = await waitingRoom.leave(queueToken, principal.userId);
  if (ended) logger.info('queue.left');
  return ok({ status: 'EXPIRED', reason: 'LEFT', ended });
});
