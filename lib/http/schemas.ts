/** Query schemas shared by several endpoints. */
import { z } from 'zod';

export const Page = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(400).optional(),
});

/** Per-concert waiting-room settings an admin may change (all optional). */
export const QueueSettingsPatch = z.strictObject({
  maxActive: z.number().int().min(0).max(1_000_000).optional(),
  admissionsPerSecond: z.number().int().min(1).max(100_000).optional(),
  activeSessionSeconds: z.number().int().min(10).max(86_400).optional(),
  abandonAfterSeconds: z.number().int().min(5).max(86_400).optional(),
  /** The ETA's prior: how long an admitted user is expected to stay. */
  expectedSessionSeconds: z.number().int().min(1).max(86_400).optional(),
});
