/** DELETE /v1/reservations/{reservationId}: the holder gives an unpaid seat back now. */
import { z } from 'zod';
import { cancelHold } from '../../../lib/booking/holds';
import { EntityId } from '../../../lib/booking/ids';
import { httpHandler, ok } from '../../../lib/http/handler';

const Path = z.strictObject({ reservationId: EntityId });

export const handler = httpHandler({ auth: 'user', path: Path }, async ({ path, principal }) =>
  ok(await cancelHold(principal.userId, path.reservationId)),
);
