/** Request schemas shared by several endpoints, and the payment's. */
import { z } from 'zod';
import { HOLD_LIMIT_MAX } from '../config';
import { EntityId } from '../ids';

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

/**
 * POST /v1/payments: exactly one of `reservationId` (one seat, the original form) or
 * `reservationIds` (1..HOLD_LIMIT_PER_CONCERT of the caller's holds of one concert, paid
 * together; the configured limit is checked by the payment, the schema caps at its maximum).
 */
export const PaymentRequest = z.union([
  z.strictObject({ reservationId: EntityId }),
  z.strictObject({
    reservationIds: z
      .array(EntityId)
      .min(1)
      .max(HOLD_LIMIT_MAX)
      .refine((ids) => new Set(ids).size === ids.length, 'reservationIds: each reservation once'),
  }),
]);
export type PaymentRequest = z.infer<typeof PaymentRequest>;

/** The reservations a payment request names, in its order. */
export const reservationIdsOf = (body: PaymentRequest): string[] => ('reservationIds' in body ? body.reservationIds : [body.reservationId]);
