/**
 * POST /v1/dev/tokens {userId, admin}: mints a development JWT. Declared only for local
 * stages (infra/functions/local-only.yml); the library refuses on any other stage too.
 */
import { z } from 'zod';
import { issueDevToken } from '../../../lib/auth/identity';
import { UserId } from '../../../lib/booking/ids';
import { created, httpHandler } from '../../../lib/http/handler';

const Body = z.strictObject({ userId: UserId, admin: z.boolean().default(false) });

export const handler = httpHandler({ auth: 'public', body: Body }, async ({ body }) =>
  created({ token: await issueDevToken(body.userId, body.admin) }),
);
