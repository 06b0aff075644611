/** GET /v1/balance: the caller's balance. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/balance' }, auth: 'user' });

export const handler = httpHandler(route, async ({ principal, app }) => ok(await app.wallet.balance(principal.userId)));
