/** POST /v1/balance/charges {amount} (optional Idempotency-Key): top up the caller's balance. */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { IdempotencyKey } from '../../../lib/ids';

const Body = z.strictObject({ amount: z.number().int().positive() });
const Headers = z.object({ 'idempotency-key': IdempotencyKey.optional() });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/balance/charges' }, auth: 'user', body: Body, headers: Headers });

export const handler = httpHandler(route, async ({ body, principal, headers, app }) => {
  const { result, replayed } = await app.wallet.charge(principal.userId, body.amount, headers['idempotency-key']);
  return created(result, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
