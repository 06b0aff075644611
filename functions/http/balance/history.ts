/** GET /v1/balance/history?limit&cursor: the caller's ledger, newest first. */
import { httpHandler, ok } from '../../../lib/http/handler';
import { Page } from '../../../lib/http/schemas';
import { history } from '../../../lib/wallet/wallet';

export const handler = httpHandler({ auth: 'user', query: Page }, async ({ principal, query }) =>
  ok(await history(principal.userId, query.limit, query.cursor)),
);
