/** PATCH /v1/admin/concerts/{concertId}/queue (admin): change queue settings while the queue runs. */
import { z } from 'zod';
import { defineRoute, httpHandler, ok } from '../../../lib/http/handler';
import { QueueSettingsPatch } from '../../../lib/http/schemas';
import { ConcertId } from '../../../lib/ids';
import { changeQueueSettings } from '../../../lib/use-cases/queue-settings';

const Path = z.strictObject({ concertId: ConcertId });

export const route = defineRoute({
  endpoint: { method: 'PATCH', path: '/v1/admin/concerts/{concertId}/queue' },
  auth: 'admin',
  path: Path,
  body: QueueSettingsPatch,
});

export const handler = httpHandler(route, async ({ path, body, app }) => ok(await changeQueueSettings(app, path.concertId, body)));
