/** POST /v1/balance/charges {amount} (Idempotency-Key): top up the caller's balance. */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { IdempotencyKey } from '../../../lib/ids';
import { topUp } from '../../../lib/use-cases/top-up';

const Body = z.strictObject({ amount: z.number().int().positive() });
// Optional here (an empty one counts as missing) so a missing key is 400
// IDEMPOTENCY_KEY_REQUIRED (lib/use-cases/top-up.ts), not a validation error.
const Headers = z.object({ 'idempotency-key': z.preprocess((v) => (v === '' ? undefined : v), IdempotencyKey.optional()) });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/balance/charges' }, auth: 'user', body: Body, headers: Headers });

export const handler = httpHandler(route, async ({ body, principal, headers, app }) => {
  const { result, replayed } = await topUp(app, { userId: principal.userId, amount: body.amount, idempotencyKey: headers['idempotency-key'] });
  return created(result, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
