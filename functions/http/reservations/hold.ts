/** POST /v1/reservations {concertId, date, seatNo} (queue gate): hold a seat (HOLD_SECONDS or the concert's holdSeconds). */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { ConcertId, ShowDate } from '../../../lib/ids';
import { holdSeatInQueue } from '../../../lib/use-cases/hold-seat';

const Body = z.strictObject({ concertId: ConcertId, date: ShowDate, seatNo: z.number().int().min(1).max(100_000) });

export const route = defineRoute({
  endpoint: { method: 'POST', path: '/v1/reservations' },
  auth: 'user',
  body: Body,
  queueGate: { concertOf: (i) => i.body.concertId },
});

export const handler = httpHandler(route, async ({ body, principal, queueToken, app }) =>
  created(await holdSeatInQueue(app, { userId: principal.userId, ...body, queueToken: queueToken! })),
);
