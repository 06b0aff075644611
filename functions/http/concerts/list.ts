/** GET /v1/concerts: public list of concerts with their sale status and window (scheduled ones too), and their dates. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { publicConcert } from '../../../lib/booking/catalog';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/concerts' }, auth: 'public' });

export const handler = httpHandler(route, async ({ app }) => {
  const now = Date.now();
  const concerts = await app.catalog.listConcerts();
  return ok(
    {
      concerts: concerts.map((c) => {
        const p = publicConcert(c, now);
        return {
          concertId: p.concertId,
          name: p.name,
          venue: p.venue,
          status: p.status,
          salesOpenAt: p.salesOpenAt,
          salesCloseAt: p.salesCloseAt,
          preQueueOpensAt: p.preQueueOpensAt,
          commitment: p.commitment,
          dates: c.dates.map((d) => ({ date: d.date, totalSeats: d.totalSeats })),
        };
      }),
    },
    { 'cache-control': 'public, max-age=5' },
  );
});
