/** GET /v1/health: liveness, touching no dependency (also the no-op baseline of the benchmark). */
import { defineRoute, httpHandler, ok } from '../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/health' }, auth: 'public' });

export const handler = httpHandler(route, async () => ok({ status: 'ok' }));
