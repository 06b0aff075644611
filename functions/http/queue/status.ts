/** GET /v1/queue/status (X-Queue-Token): WAITING with position and ETA, ACTIVE, or EXPIRED. */
import { httpHandler, ok } from '../../../lib/http/handler';
import { waitingRoom } from '../../../lib/queue';

export const handler = httpHandler({ auth: 'user' }, async ({ principal, queueToken }) =>
  ok(await waitingRoom.status(queueToken, principal.userId)),
);
