/**
 * POST /v1/admin/concerts (admin): create a concert with its dates, seat counts and
 * prices, and optionally its queue settings. Safe to retry with the same body.
 */
import { z } from 'zod';
import { created, defineRoute, httpHandler } from '../../../lib/http/handler';
import { ConcertId, ShowDate } from '../../../lib/ids';
import { QueueSettingsPatch } from '../../../lib/http/schemas';
import { createConcertWithQueue } from '../../../lib/use-cases/create-concert';

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
  salesOpenAt: z.iso.datetime({ offset: true }).optional(),
  salesCloseAt: z.iso.datetime({ offset: true }).optional(),
  preQueueMinutes: z.number().int().min(0).max(24 * 60).optional(),
  queue: QueueSettingsPatch.optional(),
});

export const route = defineRoute({ endpoint: { method: 'POST', path: '/v1/admin/concerts' }, auth: 'admin', body: Body });

export const handler = httpHandler(route, async ({ body, app }) =>
  created(
    await createConcertWithQueue(app, {
      concertId: body.concertId,
      name: body.name,
      venue: body.venue,
      holdSeconds: body.holdSeconds,
      salesOpenAt: body.salesOpenAt,
      salesCloseAt: body.salesCloseAt,
      preQueueMinutes: body.preQueueMinutes,
      dates: body.dates.map((d) => ({ date: d.date, totalSeats: d.seats, price: d.price, priceTiers: d.priceTiers })),
      queue: body.queue,
    }),
  ),
);
