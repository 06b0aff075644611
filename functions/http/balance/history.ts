/** GET /v1/balance/history?limit&cursor: the caller's ledger, newest first. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { Page } from '../../../lib/http/schemas';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/balance/history' }, auth: 'user', query: Page });

export const handler = httpHandler(route, async ({ principal, query, app }) => ok(await app.wallet.history(principal.userId, query.limit, query.cursor)));
