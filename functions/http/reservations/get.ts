/** GET /v1/reservations/{reservationId}: the caller's own reservation (anyone else's is a 404). */
import { z } from 'zod';
import { getOwnReservation, viewOf } from '../../../lib/booking/holds';
import { EntityId } from '../../../lib/booking/ids';
import { httpHandler, ok } from '../../../lib/http/handler';

const Path = z.strictObject({ reservationId: EntityId });

export const handler = httpHandler({ auth: 'user', path: Path }, async ({ path, principal }) =>
  ok(viewOf(await getOwnReservation(principal.userId, path.reservationId))),
);
