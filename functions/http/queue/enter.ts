/** POST /v1/queue/tokens {concertId}: take a place in the concert's waiting room. */
import { z } from 'zod';
import { created, defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';
import { enterQueue } from '../../../lib/use-cases/enter-queue';

const Body = z.strictObject({ concertId: ConcertId });

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/queue/tokens' }, auth: 'user', body: Body });

export const handler = httpHandler(route, async ({ body, principal, app }) => {
  const { created: isNew, ticket } = await enterQueue(app, principal.userId, body.concertId);
  return isNew ? created(ticket) : ok(ticket);
});
