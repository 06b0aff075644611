/** POST /v1/reservations {concertId, date, seatNo} (queue gate): hold a seat (HOLD_SECONDS or the concert's holdSeconds). */
import { z } from 'zod';
import { holdSeat } from '../../../lib/booking/holds';
import { ConcertId, ShowDate } from '../../../lib/booking/ids';
import { created, httpHandler } from '../../../lib/http/handler';
import { keepSessionForHold, requireActiveQueueToken } from '../../../lib/queue';

const Body = z.strictObject({ concertId: ConcertId, date: ShowDate, seatNo: z.number().int().min(1).max(100_000) });

export const handler = httpHandler(
  { auth: 'user', body: Body, queueGate: { concertOf: (i) => i.body.concertId, gate: requireActiveQueueToken } },
  async ({ body, principal, queueToken }) => {
    const reservation = await holdSeat({ userId: principal.userId, ...body });
    await keepSessionForHold(queueToken!, reservation);
    return created(reservation);
  },
);
