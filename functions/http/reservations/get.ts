/** GET /v1/reservations/{reservationId}: the caller's own reservation (anyone else's is a 404). */
import { z } from 'zod';
import { viewOf } from '../../../lib/booking/seat-store';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { EntityId } from '../../../lib/ids';

const Path = z.strictObject({ reservationId: EntityId });

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/reservations/{reservationId}' }, auth: 'user', path: Path });

export const handler = httpHandler(route, async ({ path, principal, app }) => ok(viewOf(await app.holds.ownReservation(principal.userId, path.reservationId))));
