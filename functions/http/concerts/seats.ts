/** GET /v1/concerts/{concertId}/dates/{date}/seats (queue gate): every seat with status and price. */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId, ShowDate } from '../../../lib/ids';

const Path = z.strictObject({ concertId: ConcertId, date: ShowDate });

export const route = defineRoute({
  endpoint: { method: 'GET', path: '/v1/concerts/{concertId}/dates/{date}/seats' },
  auth: 'user',
  path: Path,
  queueGate: { concertOf: (i) => i.path.concertId },
});

export const handler = httpHandler(route, async ({ path, app }) => ok(await app.listings.listSeats(path.concertId, path.date)));
