/** GET /v1/balance: the caller's balance. */
import { httpHandler, ok } from '../../../lib/http/handler';
import { getBalance } from '../../../lib/wallet/wallet';

export const handler = httpHandler({ auth: 'user' }, async ({ principal }) => ok(await getBalance(principal.userId)));
