/** POST /v1/balance/charges {amount} (optional Idempotency-Key): top up the caller's balance. */
import { z } from 'zod';
import { IdempotencyKey } from '../../../lib/booking/ids';
import { created, httpHandler } from '../../../lib/http/handler';
import { charge } from '../../../lib/wallet/wallet';

const Body = z.strictObject({ amount: z.number().int().positive() });
const Headers = z.object({ 'idempotency-key': IdempotencyKey.optional() });

export const handler = httpHandler({ auth: 'user', body: Body, headers: Headers }, async ({ body, principal, headers }) => {
  const { result, replayed } = await charge(principal.userId, body.amount, headers['idempotency-key']);
  return created(result, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
