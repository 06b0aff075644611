/** GET /v1/concerts/{concertId}/dates (queue gate): dates with availableSeats and totalSeats. */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';

const Path = z.strictObject({ concertId: ConcertId });

export const route = defineRoute({
  endpoint: { method: 'GET', path: '/v1/concerts/{concertId}/dates' },
  auth: 'user',
  path: Path,
  queueGate: { concertOf: (i) => i.path.concertId },
});

export const handler = httpHandler(route, async ({ path, app }) => ok(await app.listings.listDates(path.concertId)));
