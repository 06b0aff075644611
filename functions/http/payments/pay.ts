/**
 * POST /v1/payments {reservationId} or {reservationIds: [...]} (Idempotency-Key, queue
 * gate): pay the caller's held seat(s) from the balance in one transaction; once no live
 * hold is left the queue session ends and the next user is admitted.
 */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { PaymentRequest, reservationIdsOf } from '../../../lib/http/schemas';
import { IdempotencyKey } from '../../../lib/ids';
import { payForSeat } from '../../../lib/use-cases/pay-for-seat';

const Headers = z.object({ 'idempotency-key': IdempotencyKey });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/payments' }, auth: 'user', body: PaymentRequest, headers: Headers });

export const handler = httpHandler(route, async ({ body, principal, headers, queueToken, app }) => {
  const { payment, replayed } = await payForSeat(app, {
    userId: principal.userId,
    reservationIds: reservationIdsOf(body),
    idempotencyKey: headers['idempotency-key'],
    queueToken,
  });
  return created(payment, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
