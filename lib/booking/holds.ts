/**
 * Holding a seat, and ending a hold (expiry, or the holder giving it back).
 *
 * A hold is one transaction over three items:
 *   seat         AVAILABLE (or HELD with an expired hold) -> HELD by this reservation
 *   reservation  created (HELD, expiresAt)
 *   hold guard   the user's live holds for the concert; at most HOLD_LIMIT_PER_CONCERT
 * so two users can never hold one seat, and one user can never exceed the limit,
 * whatever runs concurrently. Time conditions compare against the caller's clock
 * (`now`), so an expired hold is free for the next writer at once: correctness never
 * waits for the release message.
 *
 * Releasing is a conditional write too: only a seat still HELD by that reservation and
 * past its expiry goes back to AVAILABLE, so a late or duplicate release message, or
 * one arriving after payment, changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, queryAll, tables } from '../clients/dynamodb';
import { backoffMs, failed, sleep, transact, type TransactItem } from '../clients/transactions';
import { config } from '../config';
import { ConflictError, NotFoundError } from '../errors';
import { count, logger } from '../observability';
import { priceOf, requireShow } from './catalog';
import { HELD_SHARDS, heldShard, holdGuardKey, seatKey } from './keys';
import { scheduleRelease } from './release-queue';

export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';

export interface ReservationItem {
  reservationId: string;
  userId: string;
  concertId: string;
  date: string;
  seatNo: number;
  price: number;
  status: ReservationStatus;
  createdAt: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  paymentId?: string;
  confirmedAt?: string;
  endedAt?: string;
}

export interface ReservationView {
  reservationId: string;
  status: ReservationStatus;
  concertId: string;
  date: string;
  seatNo: number;
  price: number;
  createdAt: string;
  expiresAt: string;
  paymentId?: string;
  confirmedAt?: string;
}

interface HoldGuard {
  holds?: Record<string, number>;
  version?: number;
}

const GUARD_RETRIES = 5;

/** A seat can be held: AVAILABLE, or HELD by a hold that has expired. */
export function isFree(seat: Record<string, unknown>, now: number): boolean {
  return seat.status === 'AVAILABLE' || (seat.status === 'HELD' && Number(seat.holdExpiresAt) <= now);
}

/** What a reader sees: a HELD reservation past its expiry is EXPIRED, message or not. */
export function viewOf(r: ReservationItem, now = Date.now()): ReservationView {
  const status = r.status === 'HELD' && r.expiresAt <= now ? 'EXPIRED' : r.status;
  return {
    reservationId: r.reservationId,
    status,
    concertId: r.concertId,
    date: r.date,
    seatNo: r.seatNo,
    price: r.price,
    createdAt: r.createdAt,
    expiresAt: new Date(r.expiresAt).toISOString(),
    ...(r.paymentId ? { paymentId: r.paymentId, confirmedAt: r.confirmedAt } : {}),
  };
}

export interface HoldRequest {
  userId: string;
  concertId: string;
  date: string;
  seatNo: number;
}

export async function holdSeat(req: HoldRequest): Promise<ReservationView> {
  const show = await requireShow(req.concertId, req.date);
  const holdMs = show.holdSeconds * 1000;
  if (req.seatNo > show.totalSeats) {
    throw new NotFoundError('SEAT_NOT_FOUND', `Seat ${req.seatNo} does not exist; ${req.date} has seats 1-${show.totalSeats}.`);
  }
  const price = priceOf(show, req.seatNo);
  const guardKey = holdGuardKey(req.userId, req.concertId);

  const seatTaken = () => {
    count('HoldsRejected');
    return new ConflictError('SEAT_UNAVAILABLE', `Seat ${req.seatNo} on ${req.date} is not available.`, {
      concertId: req.concertId,
      date: req.date,
      seatNo: req.seatNo,
    });
  };

  for (let attempt = 0; ; attempt++) {
    const now = Date.now();
    // Both reads only shape the transaction (and answer clear losers without one);
    // the transaction's conditions alone decide who gets the seat.
    const [seatRead, guardRead] = await Promise.all([
      ddb.send(new GetCommand({ TableName: tables.seats, Key: seatKey(req.concertId, req.date, req.seatNo), ConsistentRead: true })),
      ddb.send(new GetCommand({ TableName: tables.accounts, Key: guardKey, ConsistentRead: true })),
    ]);
    if (seatRead.Item && !isFree(seatRead.Item, now)) throw seatTaken();
    const guard = (guardRead.Item ?? {}) as HoldGuard;
    const live = Object.fromEntries(Object.entries(guard.holds ?? {}).filter(([, expiresAt]) => expiresAt > now));
    if (Object.keys(live).length >= config.HOLD_LIMIT_PER_CONCERT) {
      count('HoldsRejected');
      throw new ConflictError(
        'HOLD_LIMIT_REACHED',
        `You already hold ${Object.keys(live).length} seat(s) for this concert (limit ${config.HOLD_LIMIT_PER_CONCERT}); pay or release first.`,
        { reservationIds: Object.keys(live) },
      );
    }

    const reservation: ReservationItem = {
      reservationId: randomUUID(),
      userId: req.userId,
      concertId: req.concertId,
      date: req.date,
      seatNo: req.seatNo,
      price,
      status: 'HELD',
      createdAt: new Date(now).toISOString(),
      expiresAt: now + holdMs,
    };
    const version = guard.version ?? 0;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tables.seats,
          Key: seatKey(req.concertId, req.date, req.seatNo),
          UpdateExpression: 'SET #status = :held, reservationId = :rid, holderId = :uid, holdExpiresAt = :exp, heldShard = :shard',
          ConditionExpression: 'attribute_exists(seatNo) AND (#status = :available OR (#status = :held AND holdExpiresAt <= :now))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':held': 'HELD',
            ':available': 'AVAILABLE',
            ':rid': reservation.reservationId,
            ':uid': req.userId,
            ':exp': reservation.expiresAt,
            ':shard': heldShard(req.seatNo),
            ':now': now,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          TableName: tables.reservations,
          Item: reservation,
          ConditionExpression: 'attribute_not_exists(reservationId)',
        },
      },
      {
        Update: {
          TableName: tables.accounts,
          Key: guardKey,
          UpdateExpression: 'SET holds = :holds, version = :next',
          ConditionExpression: version === 0 ? 'attribute_not_exists(sk)' : 'version = :version',
          ExpressionAttributeValues: {
            ':holds': { ...live, [reservation.reservationId]: reservation.expiresAt },
            ':next': version + 1,
            ...(version === 0 ? {} : { ':version': version }),
          },
        },
      },
    ];

    const result = await transact(items);
    if (result.committed) {
      count('HoldsPlaced');
      logger.info('hold.placed', {
        reservationId: reservation.reservationId,
        concertId: req.concertId,
        date: req.date,
        seatNo: req.seatNo,
        expiresAt: new Date(reservation.expiresAt).toISOString(),
      });
      await scheduleRelease(reservation.reservationId, reservation.expiresAt);
      return viewOf(reservation, now);
    }
    if (failed(result, 0)) throw seatTaken();
    // Only the guard moved: this user placed or ended another hold at the same moment.
    if (!failed(result, 2)) throw new Error(`hold transaction cancelled: ${JSON.stringify(result.reasons.map((r) => r.code))}`);
    if (attempt >= GUARD_RETRIES) throw new ConflictError('HOLD_BUSY', 'Your other holds are changing at this moment; try again.');
    await sleep(backoffMs(attempt));
  }
}

/** The caller's own reservation; anyone else's is indistinguishable from a missing one. */
export async function getOwnReservation(userId: string, reservationId: string): Promise<ReservationItem> {
  const { Item } = await ddb.send(new GetCommand({ TableName: tables.reservations, Key: { reservationId }, ConsistentRead: true }));
  if (!Item || Item.userId !== userId) throw new NotFoundError('RESERVATION_NOT_FOUND', `You have no reservation ${reservationId}.`);
  return Item as ReservationItem;
}

function endHoldItems(r: ReservationItem, outcome: 'EXPIRED' | 'CANCELLED', now: number, seatCondition: string): TransactItem[] {
  return [
    {
      Update: {
        TableName: tables.seats,
        Key: seatKey(r.concertId, r.date, r.seatNo),
        UpdateExpression: 'SET #status = :available REMOVE reservationId, holderId, holdExpiresAt, heldShard',
        ConditionExpression: `#status = :held AND reservationId = :rid${seatCondition}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':available': 'AVAILABLE',
          ':held': 'HELD',
          ':rid': r.reservationId,
          ...(seatCondition ? { ':now': now } : {}),
        },
      },
    },
    ...endReservationItems(r, outcome, now),
  ];
}

/** Marks the reservation ended (only if still HELD) and drops it from the user's guard. */
function endReservationItems(r: ReservationItem, outcome: 'EXPIRED' | 'CANCELLED', now: number): TransactItem[] {
  return [
    {
      Update: {
        TableName: tables.reservations,
        Key: { reservationId: r.reservationId },
        UpdateExpression: 'SET #status = :outcome, endedAt = :at',
        ConditionExpression: '#status = :held',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':outcome': outcome, ':held': 'HELD', ':at': new Date(now).toISOString() },
      },
    },
    holdGuardReleaseItem(r),
  ];
}

/** The transaction item that stops a reservation counting against its holder's limit. */
export function holdGuardReleaseItem(r: Pick<ReservationItem, 'userId' | 'concertId' | 'reservationId'>): TransactItem {
  return {
    Update: {
      TableName: tables.accounts,
      Key: holdGuardKey(r.userId, r.concertId),
      UpdateExpression: 'REMOVE holds.#rid ADD version :one',
      ExpressionAttributeNames: { '#rid': r.reservationId },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

export type ReleaseOutcome =
  | { outcome: 'RELEASED' }
  | { outcome: 'NOT_DUE'; dueInMs: number }
  | { outcome: 'NOTHING_TO_DO'; status: ReservationStatus | 'MISSING' | 'CHANGED' };

/**
 * The release of an unpaid hold, asked for by the delayed SQS message (or the sweep).
 * Idempotent: only a reservation still HELD and past its expiry is ended, and only a
 * seat still held by it is freed.
 */
export async function releaseExpiredHold(reservationId: string, now = Date.now()): Promise<ReleaseOutcome> {
  const { Item } = await ddb.send(new GetCommand({ TableName: tables.reservations, Key: { reservationId }, ConsistentRead: true }));
  if (!Item) return { outcome: 'NOTHING_TO_DO', status: 'MISSING' };
  const r = Item as ReservationItem;
  if (r.status !== 'HELD') return { outcome: 'NOTHING_TO_DO', status: r.status };
  if (r.expiresAt > now) return { outcome: 'NOT_DUE', dueInMs: r.expiresAt - now };

  let result = await transact(endHoldItems(r, 'EXPIRED', now, ' AND holdExpiresAt <= :now'));
  if (!result.committed && failed(result, 0) && !failed(result, 1)) {
    // The seat moved on (taken by the next holder after expiry): end the reservation alone.
    result = await transact(endReservationItems(r, 'EXPIRED', now));
  }
  if (!result.committed) return { outcome: 'NOTHING_TO_DO', status: 'CHANGED' };
  count('HoldsReleased');
  logger.info('hold.released', { reservationId, concertId: r.concertId, date: r.date, seatNo: r.seatNo, reason: 'EXPIRED' });
  return { outcome: 'RELEASED' };
}

/** The holder gives the seat back before paying. Idempotent; a paid reservation is a 409. */
export async function cancelHold(userId: string, reservationId: string, now = Date.now()): Promise<ReservationView> {
  const r = await getOwnReservation(userId, reservationId);
  if (r.status === 'CONFIRMED') {
    throw new ConflictError('ALREADY_PAID', 'This reservation is paid and can no longer be released.', { paymentId: r.paymentId });
  }
  if (r.status !== 'HELD') return viewOf(r, now);
  const outcome = r.expiresAt <= now ? 'EXPIRED' : 'CANCELLED';
  let result = await transact(endHoldItems(r, outcome, now, ''));
  if (!result.committed && failed(result, 0) && !failed(result, 1)) result = await transact(endReservationItems(r, outcome, now));
  const after = await getOwnReservation(userId, reservationId);
  if (after.status === 'CONFIRMED') {
    throw new ConflictError('ALREADY_PAID', 'This reservation is paid and can no longer be released.', { paymentId: after.paymentId });
  }
  if (result.committed) {
    count('HoldsReleased');
    logger.info('hold.released', { reservationId, concertId: r.concertId, date: r.date, seatNo: r.seatNo, reason: outcome });
  }
  return viewOf(after, now);
}

/**
 * Safety net behind the delayed messages: frees every seat whose hold expired more than
 * `graceMs` ago (a message that was never sent, or lost). Reads the sparse index of
 * held seats by expiry, so it costs nothing when nothing is overdue.
 */
export async function sweepExpiredHolds(now = Date.now(), graceMs = 0): Promise<{ released: number; checked: number }> {
  let released = 0;
  let checked = 0;
  for (let shard = 0; shard < HELD_SHARDS; shard++) {
    const overdue = await queryAll({
      TableName: tables.seats,
      IndexName: 'heldByExpiry',
      KeyConditionExpression: 'heldShard = :shard AND holdExpiresAt <= :cutoff',
      ExpressionAttributeValues: { ':shard': `HELD#${shard}`, ':cutoff': now - graceMs },
    });
    for (const seat of overdue) {
      checked++;
      const outcome = await releaseExpiredHold(String(seat.reservationId), now);
      if (outcome.outcome === 'RELEASED') released++;
    }
  }
  if (released > 0) logger.warn('hold.sweep_released', { released, checked });
  return { released, checked };
}
