/** GET /v1/concerts/{concertId}/dates/{date}/seats (queue gate): every seat with status and price. */
import { z } from 'zod';
import { ConcertId, ShowDate } from '../../../lib/booking/ids';
import { listSeats } from '../../../lib/booking/seats';
import { httpHandler, ok } from '../../../lib/http/handler';
import { requireActiveQueueToken } from '../../../lib/queue';

const Path = z.strictObject({ concertId: ConcertId, date: ShowDate });

export const handler = httpHandler(
  { auth: 'user', path: Path, queueGate: { concertOf: (i) => i.path.concertId, gate: requireActiveQueueToken } },
  async ({ path }) => ok(await listSeats(path.concertId, path.date)),
);
