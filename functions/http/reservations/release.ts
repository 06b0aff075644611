/** DELETE /v1/reservations/{reservationId}: the holder gives an unpaid seat back now. */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { EntityId } from '../../../lib/ids';
import { giveUpHold } from '../../../lib/use-cases/give-up-hold';

const Path = z.strictObject({ reservationId: EntityId });

export const route = defineRoute({ endpoint: { method: 'DELETE', path: '/v1/reservations/{reservationId}' }, auth: 'user', path: Path });

export const handler = httpHandler(route, async ({ path, principal, app }) => ok(await giveUpHold(app, principal.userId, path.reservationId)));
