/**
 * Topping up the balance: only with an Idempotency-Key (a client told to retry after a
 * timeout must never be charged twice), within the top-ups limit (lib/limits), then the
 * charge (lib/wallet/wallet.ts), whose retry with the same key returns the first result.
 */
import type { App } from '../app';
import { BadRequestError } from '../errors';

export async function topUp(app: Pick<App, 'wallet' | 'limits'>, req: { userId: string; amount: number; idempotencyKey: string | undefined }) {
  if (!req.idempotencyKey) {
    throw new BadRequestError('IDEMPOTENCY_KEY_REQUIRED', 'A top-up needs an Idempotency-Key header (8-128 characters of A-Z a-z 0-9 . _ : -); reuse it when you retry.');
  }
  await app.limits.beforeTopUp(req.userId);
  return app.wallet.charge(req.userId, req.amount, req.idempotencyKey);
}
