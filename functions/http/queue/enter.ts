/** POST /v1/queue/tokens {concertId}: take a place in the concert's waiting room. */
import { z } from 'zod';
import { ConcertId } from '../../../lib/booking/ids';
import { created, httpHandler, ok } from '../../../lib/http/handler';
import { count, logger } from '../../../lib/observability';
import { waitingRoom } from '../../../lib/queue';
import { requireConcertOnSale } from '../../../lib/booking/catalog';

const Body = z.strictObject({ concertId: ConcertId });

export const handler = httpHandler({ auth: 'user', body: Body }, async ({ body, principal }) => {
  await requireConcertOnSale(body.concertId);
  const { created: isNew, ...ticket } = await waitingRoom.enter(body.concertId, principal.userId);
  if (isNew) {
    count('QueueEntered');
    logger.info('queue.entered', { concertId: body.concertId, status: ticket.status, position: ticket.position });
  }
  return isNew ? created(ticket) : ok(ticket);
});
