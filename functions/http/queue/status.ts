/** GET /v1/queue/status (X-Queue-Token): WAITING with position and ETA, ACTIVE, or EXPIRED. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/queue/status' }, auth: 'user' });

export const handler = httpHandler(route, async ({ principal, queueToken, app }) => ok(await app.waitingRoom.status(queueToken, principal.userId)));
