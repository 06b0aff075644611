/**
 * PATCH /v1/admin/concerts/{concertId} (admin): move the sale window while the concert
 * is SCHEDULED ({salesOpenAt?, salesCloseAt?}) or end the sale now ({close: true}).
 */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';
import { changeSale } from '../../../lib/use-cases/sale';

const Path = z.strictObject({ concertId: ConcertId });
const Body = z
  .strictObject({
    salesOpenAt: z.iso.datetime({ offset: true }).optional(),
    salesCloseAt: z.iso.datetime({ offset: true }).nullable().optional(),
    close: z.literal(true).optional(),
  })
  .refine((b) => b.salesOpenAt !== undefined || b.salesCloseAt !== undefined || b.close, { message: 'Say what to change: salesOpenAt, salesCloseAt or close.' })
  .refine((b) => !(b.close && (b.salesOpenAt !== undefined || b.salesCloseAt !== undefined)), { message: 'close cannot be combined with moving the window.' });

export const route = defineRoute({ endpoint: { method: 'PATCH', path: '/v1/admin/concerts/{concertId}' }, auth: 'admin', path: Path, body: Body });

export const handler = httpHandler(route, async ({ path, body, app }) =>
  ok(await changeSale(app, path.concertId, { salesOpenAt: body.salesOpenAt, salesCloseAt: body.salesCloseAt, closeNow: body.close })),
);
