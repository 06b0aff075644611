/** GET /v1/concerts: public list of concerts on sale with their dates. */
import { listConcerts } from '../../../lib/booking/catalog';
import { httpHandler, ok } from '../../../lib/http/handler';

export const handler = httpHandler({ auth: 'public' }, async () => {
  const concerts = await listConcerts();
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
