/**
 * POST /v1/admin/concerts (admin): create a concert with its dates, seat counts and
 * prices, and optionally its queue settings. Safe to retry with the same body.
 */
import { z } from 'zod';
import { createConcert } from '../../../lib/booking/catalog';
import { ConcertId, ShowDate } from '../../../lib/booking/ids';
import { created, httpHandler } from '../../../lib/http/handler';
import { QueueSettingsPatch } from '../../../lib/http/schemas';
import { waitingRoom } from '../../../lib/queue';

const Price = z.number().int().min(1).max(100_000_000);
const DateSpec = z.strictObject({
  date: ShowDate,
  seats: z.number().int().min(1).max(1000).default(50),
  price: Price,
  priceTiers: z
    .array(z.strictObject({ fromSeat: z.number().int().min(1), toSeat: z.number().int().min(1), price: Price }))
    .max(50)
    .default([]),
});
const Body = z.strictObject({
  concertId: ConcertId,
  name: z.string().trim().min(1).max(200),
  venue: z.string().trim().max(200).optional(),
  holdSeconds: z.number().int().min(1).max(3600).optional(),
  dates: z.array(DateSpec).min(1).max(100),
  queue: QueueSettingsPatch.optional(),
});

export const handler = httpHandler({ auth: 'admin', body: Body }, async ({ body }) => {
  // Queue settings first: once the concert is on sale its queue must already behave as asked.
  if (body.queue) await waitingRoom.configure(body.concertId, body.queue);
  const concert = await createConcert({
    concertId: body.concertId,
    name: body.name,
    venue: body.venue,
    holdSeconds: body.holdSeconds,
    dates: body.dates.map((d) => ({ date: d.date, totalSeats: d.seats, price: d.price, priceTiers: d.priceTiers })),
  });
  return created({ ...concert, queue: await waitingRoom.figures(concert.concertId) });
});
