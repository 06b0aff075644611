/** GET /v1/admin/concerts/{concertId}/queue (admin): live figures and settings of a concert's queue. */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';
import { queueFigures } from '../../../lib/use-cases/queue-settings';

const Path = z.strictObject({ concertId: ConcertId });

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/admin/concerts/{concertId}/queue' }, auth: 'admin', path: Path });

export const handler = httpHandler(route, async ({ path, app }) => ok(await queueFigures(app, path.concertId)));
