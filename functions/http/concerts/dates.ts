/** GET /v1/concerts/{concertId}/dates (queue gate): dates with availableSeats and totalSeats. */
import { z } from 'zod';
import { ConcertId } from '../../../lib/booking/ids';
import { listDates } from '../../../lib/booking/seats';
import { httpHandler, ok } from '../../../lib/http/handler';
import { requireActiveQueueToken } from '../../../lib/queue';

const Path = z.strictObject({ concertId: ConcertId });

export const handler = httpHandler(
  { auth: 'user', path: Path, queueGate: { concertOf: (i) => i.path.concertId, gate: requireActiveQueueToken } },
  async ({ path }) => ok(await listDates(path.concertId)),
);
