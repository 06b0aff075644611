/** PATCH /v1/admin/concerts/{concertId}/queue (admin): change queue settings while the queue runs. */
import { z } from 'zod';
import { requireConcertOnSale } from '../../../lib/booking/catalog';
import { ConcertId } from '../../../lib/booking/ids';
import { httpHandler, ok } from '../../../lib/http/handler';
import { QueueSettingsPatch } from '../../../lib/http/schemas';
import { logger } from '../../../lib/observability';
import { waitingRoom } from '../../../lib/queue';

const Path = z.strictObject({ concertId: ConcertId });

export const handler = httpHandler({ auth: 'admin', path: Path, body: QueueSettingsPatch }, async ({ path, body }) => {
  await requireConcertOnSale(path.concertId);
  const figures = await waitingRoom.configure(path.concertId, body);
  logger.info('queue.settings_changed', { concertId: path.concertId, changes: body });
  return ok(figures);
});
