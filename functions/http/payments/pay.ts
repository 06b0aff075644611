/**
 * POST /v1/payments {reservationId} (Idempotency-Key, queue gate): pay the caller's held
 * seat from the balance; the queue session then ends and the next user is admitted.
 */
import { z } from 'zod';
import { EntityId, IdempotencyKey } from '../../../lib/booking/ids';
import { created, httpHandler } from '../../../lib/http/handler';
import { pay } from '../../../lib/payment/payments';
import { endSessionAfterPurchase, waitingRoom } from '../../../lib/queue';

const Body = z.strictObject({ reservationId: EntityId });
const Headers = z.object({ 'idempotency-key': IdempotencyKey });

export const handler = httpHandler({ auth: 'user', body: Body, headers: Headers }, async ({ body, principal, headers, queueToken }) => {
  const { payment, replayed } = await pay({
    userId: principal.userId,
    reservationId: body.reservationId,
    idempotencyKey: headers['idempotency-key'],
    requireActive: (concertId) => waitingRoom.requireActive(queueToken, principal.userId, concertId),
  });
  // Also on a replay: the first attempt may have committed and then died before this.
  await endSessionAfterPurchase(queueToken, principal.userId);
  return created(payment, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
