/**
 * The seat and its reservation: every rule about a seat's life is in this file.
 *
 *   Seat (seats table, key showId = "<concertId>#<date>", seatNo)
 *     (none)     --create-->   AVAILABLE
 *     AVAILABLE  --hold-->     HELD        by a new reservation, until holdExpiresAt
 *     HELD       --hold-->     HELD        by the next holder, once the old hold has expired
 *     HELD       --reserve-->  RESERVED    by its own reservation, before holdExpiresAt (payment)
 *     HELD       --free-->     AVAILABLE   by its own reservation: given back (any time), or
 *                                          released after expiry (SQS message, sweep)
 *     RESERVED   is final.
 *
 *   Reservation (reservations table, key reservationId)
 *     (none)     --open-->     HELD        with the seat's hold, in the same transaction
 *     HELD       --confirm-->  CONFIRMED   the caller's own, before expiresAt (payment)
 *     HELD       --end-->      EXPIRED     after expiresAt (release message, sweep)
 *     HELD       --end-->      CANCELLED   given back by its holder before expiresAt
 *     CONFIRMED, EXPIRED, CANCELLED are final.
 *
 * Time conditions compare against the caller's clock (`now`), so an expired hold is free
 * for readers and the next writer at once: correctness never waits for the release
 * message. Each transition is exported as a transaction piece carrying its condition;
 * flows (lib/booking/holds.ts, lib/payment/payments.ts) compose them by name, and only
 * the conditions here decide who gets a seat.
 */
import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Dynamo, Item } from '../clients/dynamodb';
import type { TransactItem } from '../clients/transactions';
import { DependencyUnavailableError } from '../errors';
import { backoffMs, sleep } from '../retry';

/** BatchWriteItem calls one creation keeps in flight (x 25 seats). */
const SEAT_BATCHES_IN_FLIGHT = 16;
/** Rounds of retrying unprocessed seats (throttling) before the creation answers 503 (a retry resumes it). */
const UNPROCESSED_RETRIES = 8;

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'RESERVED';
export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';
export type HoldEnd = 'EXPIRED' | 'CANCELLED';

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

export const showId = (concertId: string, date: string) => `${concertId}#${date}`;
export const seatKey = (concertId: string, date: string, seatNo: number) => ({ showId: showId(concertId, date), seatNo });
const seatKeyOf = (r: Pick<ReservationItem, 'concertId' | 'date' | 'seatNo'>) => seatKey(r.concertId, r.date, r.seatNo);

/**
 * Shards of the sparse index of held seats (`heldByExpiry`, partition key `heldShard`,
 * sort key `holdExpiresAt`) that the sweep reads, all of them in parallel.
 *
 * Why 32: every hold writes one index entry (seat HELD: put) and every end of a hold
 * removes it (paid or released: delete); taking over an expired hold moves it (delete +
 * put). So at 10,000 holds/s the index takes at most ~20,000 writes/s (each entry is far
 * below 1 KB, so 1 WCU). Its sort key only grows (expiry = now + hold length), so every
 * write of a shard lands at the end of its key range and DynamoDB cannot split a shard
 * for heat: one shard is one partition, capped at 1,000 WCU/s. With the former 4 shards
 * that capped the service near 4,000 index writes/s, about 2,000 holds/s, and a
 * throttled index write throttles the hold and payment transactions that carry it. With
 * 32 shards chosen by a hash of show and seat, each shard takes 1/32 of the writes:
 * ~313 put + ~313 delete = ~625 WCU/s per shard at 10,000 holds/s (62% of one
 * partition), and the service-wide cap rises to ~32,000 index writes/s (~16,000
 * holds/s). The hash spreads the seats of one show (the hot one at an opening) over all
 * shards, unlike seatNo % n, which put every seat k of every show in the same shard.
 * Shard names `HELD#0`..`HELD#31` include the former `HELD#0`..`HELD#3`, so holds written
 * before the change are still swept.
 */
export const HELD_SHARDS = 32;

/** The index shard of one seat: FNV-1a (32 bit) of "<showId>#<seatNo>", modulo HELD_SHARDS. */
export function heldShardOf(show: string, seatNo: number): string {
  let h = 0x811c9dc5;
  const s = `${show}#${seatNo}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `HELD#${h % HELD_SHARDS}`;
}

/**
 * The conditions of the transitions, by name. `:now` is the caller's clock (ms), `:rid`
 * the reservation in question, `:held` / `:available` the status words.
 */
export const SEAT_CONDITIONS = {
  /** hold: free now (AVAILABLE, or HELD by a hold that has expired). */
  holdable: 'attribute_exists(seatNo) AND (#status = :available OR (#status = :held AND holdExpiresAt <= :now))',
  /** reserve: still held by this reservation, and the hold has not expired. */
  heldByUnexpired: '#status = :held AND reservationId = :rid AND holdExpiresAt > :now',
  /** free (given back): held by this reservation, expired or not. */
  heldBy: '#status = :held AND reservationId = :rid',
  /** free (released after expiry): held by this reservation and past its expiry. */
  heldByExpired: '#status = :held AND reservationId = :rid AND holdExpiresAt <= :now',
} as const;

export const RESERVATION_CONDITIONS = {
  /** open: a new reservation id. */
  isNew: 'attribute_not_exists(reservationId)',
  /** confirm: the caller's own, still HELD, and not expired. */
  confirmable: '#status = :held AND userId = :uid AND expiresAt > :now',
  /** end: still HELD (a confirmed or already ended reservation is final). */
  open: '#status = :held',
} as const;

const STATUS = { '#status': 'status' };

/** A seat can be held: AVAILABLE, or HELD by a hold that has expired. */
export function isFree(seat: Item, now: number): boolean {
  return seat.status === 'AVAILABLE' || (seat.status === 'HELD' && Number(seat.holdExpiresAt) <= now);
}

/** What readers see of a seat: a HELD seat past its hold's expiry is AVAILABLE, message or not. */
export function seatStatusOf(seat: Item, now: number): SeatStatus {
  return isFree(seat, now) ? 'AVAILABLE' : (seat.status as SeatStatus);
}

/** What a reader sees of a reservation: HELD past its expiry is EXPIRED, message or not. */
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

export class SeatStore {
  constructor(private readonly db: Dynamo) {}

  // --- reads -------------------------------------------------------------------------

  async getSeat(concertId: string, date: string, seatNo: number): Promise<Item | undefined> {
    const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.seats, Key: seatKey(concertId, date, seatNo), ConsistentRead: true }));
    return Item;
  }

  async getReservation(reservationId: string): Promise<ReservationItem | undefined> {
    const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.reservations, Key: { reservationId }, ConsistentRead: true }));
    return Item as ReservationItem | undefined;
  }

  /** Every seat of a show: seatNo, status, price, holdExpiresAt. */
  querySeats(show: string): Promise<Item[]> {
    return this.db.queryAll({
      TableName: this.db.tables.seats,
      KeyConditionExpression: 'showId = :id',
      ProjectionExpression: 'seatNo, #status, price, holdExpiresAt',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: { ':id': show },
    });
  }

  /**
   * Reservations whose seat is still HELD with a hold that expired before `cutoff` (ms):
   * one query per index shard, all shards at once.
   */
  async overdueHolds(cutoff: number): Promise<string[]> {
    const shards = await Promise.all(
      Array.from({ length: HELD_SHARDS }, (_, shard) =>
        this.db.queryAll({
          TableName: this.db.tables.seats,
          IndexName: 'heldByExpiry',
          KeyConditionExpression: 'heldShard = :shard AND holdExpiresAt <= :cutoff',
          ExpressionAttributeValues: { ':shard': `HELD#${shard}`, ':cutoff': cutoff },
        }),
      ),
    );
    return shards.flat().map((seat) => String(seat.reservationId));
  }

  // --- create --------------------------------------------------------------------------

  /**
   * Writes the seats of a concert that is still being created, AVAILABLE at their price,
   * 25 per BatchWriteItem and `SEAT_BATCHES_IN_FLIGHT` batches at once, retrying the
   * items DynamoDB left unprocessed. Unconditional, so only for a concert that is not
   * READY (nobody can hold its seats yet) and has one live creator (catalog.ts keeps a
   * creation lease); a creation retried after the lease rewrites the same seats.
   */
  async writeNewSeats(seats: { concertId: string; date: string; seatNo: number; price: number }[]): Promise<void> {
    const batches: (typeof seats)[] = [];
    for (let i = 0; i < seats.length; i += 25) batches.push(seats.slice(i, i + 25));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        let requests = batch.map((s) => ({ PutRequest: { Item: { ...seatKey(s.concertId, s.date, s.seatNo), price: s.price, status: 'AVAILABLE' } } }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > 0) {
            if (attempt > UNPROCESSED_RETRIES) throw new DependencyUnavailableError('dynamodb', new Error(`${requests.length} seats left unprocessed`));
            await sleep(backoffMs(attempt, 50, 1000));
          }
          const out = await this.db.doc.send(new BatchWriteCommand({ RequestItems: { [this.db.tables.seats]: requests } }));
          requests = (out.UnprocessedItems?.[this.db.tables.seats] ?? []) as typeof requests;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEAT_BATCHES_IN_FLIGHT, batches.length) }, worker));
  }

  // --- transaction pieces ----------------------------------------------------------------

  /** Seat AVAILABLE (or HELD, expired) -> HELD by `r` until r.expiresAt. Returns the old seat on failure. */
  hold(r: ReservationItem, now: number): TransactItem {
    return {
      Update: {
        TableName: this.db.tables.seats,
        Key: seatKeyOf(r),
        UpdateExpression: 'SET #status = :held, reservationId = :rid, holderId = :uid, holdExpiresAt = :exp, heldShard = :shard',
        ConditionExpression: SEAT_CONDITIONS.holdable,
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: {
          ':held': 'HELD',
          ':available': 'AVAILABLE',
          ':rid': r.reservationId,
          ':uid': r.userId,
          ':exp': r.expiresAt,
          ':shard': heldShardOf(showId(r.concertId, r.date), r.seatNo),
          ':now': now,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Reservation (none) -> HELD. */
  open(r: ReservationItem): TransactItem {
    return { Put: { TableName: this.db.tables.reservations, Item: r, ConditionExpression: RESERVATION_CONDITIONS.isNew } };
  }

  /** Seat HELD by `r`, unexpired -> RESERVED with the payment. */
  reserve(r: ReservationItem, paymentId: string, now: number): TransactItem {
    return {
      Update: {
        TableName: this.db.tables.seats,
        Key: seatKeyOf(r),
        UpdateExpression: 'SET #status = :reserved, paymentId = :pid REMOVE holdExpiresAt, heldShard',
        ConditionExpression: SEAT_CONDITIONS.heldByUnexpired,
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: { ':reserved': 'RESERVED', ':held': 'HELD', ':pid': paymentId, ':rid': r.reservationId, ':now': now },
      },
    };
  }

  /** Reservation HELD, the caller's, unexpired -> CONFIRMED. Returns the old reservation on failure. */
  confirm(r: ReservationItem, userId: string, paymentId: string, at: string, now: number): TransactItem {
    return {
      Update: {
        TableName: this.db.tables.reservations,
        Key: { reservationId: r.reservationId },
        UpdateExpression: 'SET #status = :confirmed, paymentId = :pid, confirmedAt = :at',
        ConditionExpression: RESERVATION_CONDITIONS.confirmable,
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':held': 'HELD', ':pid': paymentId, ':at': at, ':uid': userId, ':now': now },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Seat HELD by `r` -> AVAILABLE. `onlyIfExpired`: a release after expiry (message,
   * sweep), which must leave an unexpired hold alone; otherwise the holder gives it back.
   */
  free(r: ReservationItem, now: number, o: { onlyIfExpired: boolean }): TransactItem {
    return {
      Update: {
        TableName: this.db.tables.seats,
        Key: seatKeyOf(r),
        UpdateExpression: 'SET #status = :available REMOVE reservationId, holderId, holdExpiresAt, heldShard',
        ConditionExpression: o.onlyIfExpired ? SEAT_CONDITIONS.heldByExpired : SEAT_CONDITIONS.heldBy,
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: { ':available': 'AVAILABLE', ':held': 'HELD', ':rid': r.reservationId, ...(o.onlyIfExpired ? { ':now': now } : {}) },
      },
    };
  }

  /** Reservation HELD -> EXPIRED or CANCELLED. */
  end(r: Pick<ReservationItem, 'reservationId'>, outcome: HoldEnd, now: number): TransactItem {
    return {
      Update: {
        TableName: this.db.tables.reservations,
        Key: { reservationId: r.reservationId },
        UpdateExpression: 'SET #status = :outcome, endedAt = :at',
        ConditionExpression: RESERVATION_CONDITIONS.open,
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: { ':outcome': outcome, ':held': 'HELD', ':at': new Date(now).toISOString() },
      },
    };
  }
}
