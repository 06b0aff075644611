/** GET /v1/health: liveness, touching no dependency (also the no-op baseline of the benchmark). */
import { httpHandler, ok } from '../../lib/http/handler';

export const handler = httpHandler({ auth: 'public' }, async () => ok({ status: 'ok' }));
