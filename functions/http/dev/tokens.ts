/**
 * POST /v1/dev/tokens {userId, admin}: mints a development JWT. Declared only for local
 * stages (infra/functions/local.yml); the library refuses on any other stage too.
 */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { UserId } from '../../../lib/ids';

const Body = z.strictObject({ userId: UserId, admin: z.boolean().default(false) });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/dev/tokens' }, auth: 'public', body: Body });

export const handler = httpHandler(route, async ({ body, app }) => created({ token: await app.identity.issueDevToken(body.userId, body.admin) }));
