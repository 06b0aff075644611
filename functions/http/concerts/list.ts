/** GET /v1/concerts: public list of concerts on sale with their dates. */
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/concerts' }, auth: 'public' });

export const handler = httpHandler(route, async ({ app }) => {
  const concerts = await app.catalog.listConcerts();
  return ok(
    {
      concerts: concerts.map((c) => ({
        concertId: c.concertId,
        name: c.name,
        venue: c.venue,
        dates: c.dates.map((d) => ({ date: d.date, totalSeats: d.totalSeats })),
      })),
    },
    { 'cache-control': 'public, max-age=5' },
  );
});
