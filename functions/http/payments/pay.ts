/**
 * POST /v1/payments {reservationId} (Idempotency-Key, queue gate): pay the caller's held
 * seat from the balance; the queue session then ends and the next user is admitted.
 */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { EntityId, IdempotencyKey } from '../../../lib/ids';
import { payForSeat } from '../../../lib/use-cases/pay-for-seat';

const Body = z.strictObject({ reservationId: EntityId });
const Headers = z.object({ 'idempotency-key': IdempotencyKey });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/payments' }, auth: 'user', body: Body, headers: Headers });

export const handler = httpHandler(route, async ({ body, principal, headers, queueToken, app }) => {
  const { payment, replayed } = await payForSeat(app, {
    userId: principal.userId,
    reservationId: body.reservationId,
    idempotencyKey: headers['idempotency-key'],
    queueToken,
  });
  return created(payment, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
