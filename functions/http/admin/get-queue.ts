/** GET /v1/admin/concerts/{concertId}/queue (admin): live figures and settings of a concert's queue. */
import { z } from 'zod';
import { requireConcertOnSale } from '../../../lib/booking/catalog';
import { ConcertId } from '../../../lib/booking/ids';
import { httpHandler, ok } from '../../../lib/http/handler';
import { waitingRoom } from '../../../lib/queue';

const Path = z.strictObject({ concertId: ConcertId });

export const handler = httpHandler({ auth: 'admin', path: Path }, async ({ path }) => {
  await requireConcertOnSale(path.concertId);
  return ok(await waitingRoom.figures(path.concertId));
});
