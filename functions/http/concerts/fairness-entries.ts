/**
 * GET /v1/concerts/{concertId}/fairness/entries?cursor&limit (public): the pre-queued
 * entryIds in their drawn order (position 1 first), a page at a time; empty before the draw.
 */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';
import { drawnEntries } from '../../../lib/use-cases/sale';

const Path = z.strictObject({ concertId: ConcertId });
const Query = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/concerts/{concertId}/fairness/entries' }, auth: 'public', path: Path, query: Query });

export const handler = httpHandler(route, async ({ path, query, app }) => ok(await drawnEntries(app, path.concertId, query.cursor, query.limit)));
