/**
 * GET /v1/concerts/{concertId}/fairness (public): the pre-queue lottery's commitment,
 * its seed once the draw is done, and the rule in words (lib/queue/lottery.ts).
 */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { ConcertId } from '../../../lib/ids';
import { fairness } from '../../../lib/use-cases/sale';

const Path = z.strictObject({ concertId: ConcertId });

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/concerts/{concertId}/fairness' }, auth: 'public', path: Path });

export const handler = httpHandler(route, async ({ path, app }) => ok(await fairness(app, path.concertId), { 'cache-control': 'public, max-age=2' }));
