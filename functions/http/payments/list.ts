/** GET /v1/payments?limit&cursor: the caller's payments, newest first. */
import { httpHandler, ok } from '../../../lib/http/handler';
import { Page } from '../../../lib/http/schemas';
import { listPayments } from '../../../lib/payment/payments';

export const handler = httpHandler({ auth: 'user', query: Page }, async ({ principal, query }) =>
  ok(await listPayments(principal.userId, query.limit, query.cursor)),
);
