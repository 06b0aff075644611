/** GET /v1/payments?limit&cursor: the caller's payments, newest first. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { Page } from '../../../lib/http/schemas';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/payments' }, auth: 'user', query: Page });

export const handler = httpHandler(route, async ({ principal, query, app }) => ok(await app.payments.list(principal.userId, query.limit, query.cursor)));
