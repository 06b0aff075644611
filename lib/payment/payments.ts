/**
 * Paying held seats from the wallet: one to HOLD_LIMIT_PER_CONCERT reservations of one
 * concert in one payment. One TransactWriteItems does all of it, each item named and its
 * condition owned by its store:
 *   wallet          balance -= total          seq unchanged, balance >= total     (wallet-store)
 *   ledger          one USE entry (total)     new                                 (wallet-store)
 *   seat#i          HELD -> RESERVED          held by reservation i, unexpired    (seat-store)
 *   reservation#i   HELD -> CONFIRMED         the caller's, unexpired             (seat-store)
 *   payment         one record (all seats)    new                                 (here)
 *   guard           the holds no longer count                                     (wallet-store)
 *   idempotency     key -> this response      unused                              (idempotency)
 * That is 5 + 2n items; with n at most HOLD_LIMIT_MAX (lib/config.ts) it stays far below
 * DynamoDB's 100 items per transaction (checked when the module is built).
 * Either all of it happens or none of it; the cancellation reasons say precisely why
 * not (a hold expired, already paid, not yours, insufficient balance). A release racing
 * the payment at the moment of expiry conditions on the same seat item, so exactly one
 * of them wins.
 */
import { randomUUID } from 'node:crypto';
import type { Dynamo } from '../clients/dynamodb';
import { Transaction, type TransactResult } from '../clients/transactions';
import { BadRequestError, ConflictError, PaymentRequiredError } from '../errors';
import { requestHash, type IdempotencyStore } from '../idempotency/records';
import { count, logger } from '../observability';
import type { ReservationItem, SeatStore } from '../booking/seat-store';
import type { Holds } from '../booking/holds';
import type { WalletStore } from '../wallet/wallet-store';

/** One seat of a payment, at the price it was held at. */
export interface PaidSeat {
  reservationId: string;
  date: string;
  seatNo: number;
  amount: number;
}

export interface PaymentResult {
  paymentId: string;
  /** The first reservation of `reservationIds` (the one-seat form's field, kept for its clients). */
  reservationId: string;
  reservationIds: string[];
  concertId: string;
  /** Date and seat of the first seat; `seats` lists every one. */
  date: string;
  seatNo: number;
  seats: PaidSeat[];
  /** The total debited: the sum of the seats' amounts. */
  amount: number;
  balance: number;
  status: 'PAID';
  paidAt: string;
}

export interface PayRequest {
  userId: string;
  /** One or more of the caller's held reservations, all of one concert; no repeats. */
  reservationIds: string[];
  idempotencyKey: string;
  /** Checks the caller's queue gate for the reservations' concert (booking endpoints are gated). */
  requireActive: (concertId: string) => Promise<unknown>;
}

type PaymentItem = 'wallet' | 'ledger' | 'payment' | 'guard' | 'idempotency' | `seat#${number}` | `reservation#${number}`;

/** DynamoDB's limit of items in one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;
/** Items of a payment of `n` seats: wallet, ledger, payment, guard, idempotency, and a seat and a reservation per seat. */
export const paymentItems = (n: number) => 5 + 2 * n;

const paymentSk = (paidAt: number, paymentId: string) => `PAYMENT#${String(paidAt).padStart(15, '0')}#${paymentId}`;

/**
 * The request as the idempotency record knows it. One reservation hashes as before
 * multi-seat payments existed (`{reservationId}`), so a retry of an older payment still
 * replays, and `{reservationId: x}` and `{reservationIds: [x]}` are the same request.
 * Several hash as a set: their order in the body does not matter.
 */
export function paymentRequestHash(reservationIds: string[]): string {
  if (reservationIds.length === 1) return requestHash({ reservationId: reservationIds[0] });
  return requestHash({ reservationIds: [...reservationIds].sort() });
}

/** The seats of a payment; records written before multi-seat payments name one seat at the top level. */
export function seatsOf(p: Omit<PaymentResult, 'seats' | 'reservationIds'> & Partial<Pick<PaymentResult, 'seats' | 'reservationIds'>>): PaidSeat[] {
  return p.seats ?? [{ reservationId: p.reservationId, date: p.date, seatNo: p.seatNo, amount: p.amount }];
}

/** A stored payment in today's shape (older records lack `seats` and `reservationIds`). */
function normalised(p: PaymentResult): PaymentResult {
  const seats = seatsOf(p);
  return { ...p, reservationIds: p.reservationIds ?? seats.map((s) => s.reservationId), seats };
}

function holdExpired(reservationId: string): ConflictError {
  return new ConflictError('HOLD_EXPIRED', 'The hold on this seat has ended; hold the seat again to buy it.', { reservationId });
}

function alreadyPaid(r: Pick<ReservationItem, 'paymentId' | 'reservationId'>): ConflictError {
  return new ConflictError('ALREADY_PAID', 'This reservation is already paid.', { paymentId: r.paymentId, reservationId: r.reservationId });
}

function insufficient(balance: number, price: number, seats: number): PaymentRequiredError {
  const what = seats === 1 ? 'the seat costs' : `the ${seats} seats cost`;
  return new PaymentRequiredError('INSUFFICIENT_BALANCE', `Your balance is ${balance} won; ${what} ${price} won. Top up ${price - balance} won and try again.`, {
    balance,
    price,
    shortBy: price - balance,
  });
}

/** Why a payment transaction was cancelled, from the items' cancellation reasons. */
function explain(result: TransactResult<PaymentItem>, rs: ReservationItem[], total: number): Error | 'RETRY' | 'REPLAY' {
  if (result.committed) throw new Error('explain() called on a committed transaction');
  if (result.failed('idempotency')) return 'REPLAY';
  for (const [i, r] of rs.entries()) {
    if (result.failed(`reservation#${i}`)) {
      const current = result.itemOf(`reservation#${i}`) as ReservationItem | undefined;
      if (current?.status === 'CONFIRMED') return alreadyPaid(current);
      return holdExpired(r.reservationId);
    }
    if (result.failed(`seat#${i}`)) return holdExpired(r.reservationId);
  }
  if (result.failed('wallet')) {
    const balance = Number(result.itemOf('wallet')?.balance ?? 0);
    if (balance < total) return insufficient(balance, total, rs.length);
    return 'RETRY'; // the wallet changed between our read and the transaction
  }
  if (result.failed('ledger') || result.failed('payment')) return 'RETRY';
  return new Error(`payment transaction cancelled: ${result.describe()}`);
}

export class Payments {
  constructor(
    private readonly deps: {
      db: Dynamo;
      seats: SeatStore;
      holds: Holds;
      wallets: WalletStore;
      idempotency: IdempotencyStore;
      /** HOLD_LIMIT_PER_CONCERT: a payment covers at most this many reservations. */
      maxReservations: number;
    },
  ) {
    if (paymentItems(deps.maxReservations) > MAX_TRANSACTION_ITEMS) {
      throw new Error(`a payment of ${deps.maxReservations} seats needs ${paymentItems(deps.maxReservations)} transaction items; DynamoDB allows ${MAX_TRANSACTION_ITEMS}`);
    }
  }

  async pay(req: PayRequest): Promise<{ payment: PaymentResult; replayed: boolean }> {
    const { db, seats, holds, wallets, idempotency, maxReservations } = this.deps;
    const ids = req.reservationIds;
    if (ids.length < 1 || new Set(ids).size !== ids.length) {
      throw new BadRequestError('INVALID_RESERVATIONS', 'Name each reservation to pay once, at least one.');
    }
    if (ids.length > maxReservations) {
      throw new BadRequestError('TOO_MANY_RESERVATIONS', `One payment covers at most ${maxReservations} reservation(s), the most one user may hold per concert; this names ${ids.length}.`, {
        limit: maxReservations,
      });
    }
    const hash = paymentRequestHash(ids);
    const earlier = await idempotency.findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
    if (earlier) return { payment: normalised(earlier), replayed: true };

    const rs = await Promise.all(ids.map((id) => holds.ownReservation(req.userId, id)));
    const concertId = rs[0]!.concertId;
    if (rs.some((r) => r.concertId !== concertId)) {
      throw new BadRequestError('RESERVATIONS_OF_SEVERAL_CONCERTS', 'One payment covers reservations of one concert (your queue token is for one concert); pay each concert separately.');
    }
    const now0 = Date.now();
    for (const r of rs) {
      if (r.status === 'CONFIRMED') throw alreadyPaid(r);
      if (r.status !== 'HELD' || r.expiresAt <= now0) throw holdExpired(r.reservationId);
    }
    await req.requireActive(concertId);
    const total = rs.reduce((sum, r) => sum + r.price, 0);

    return wallets.change<{ payment: PaymentResult; replayed: boolean }>(req.userId, async (wallet, now) => {
      if (wallet.balance < total) {
        count('PaymentsFailed');
        throw insufficient(wallet.balance, total, rs.length);
      }
      const paymentId = randomUUID();
      const tx = new Transaction<PaymentItem>();
      const entry = wallets.addChange(tx, wallet, 'USE', total, `payment:${paymentId}`, now);
      const paid: PaidSeat[] = rs.map((r) => ({ reservationId: r.reservationId, date: r.date, seatNo: r.seatNo, amount: r.price }));
      const payment: PaymentResult = {
        paymentId,
        reservationId: rs[0]!.reservationId,
        reservationIds: rs.map((r) => r.reservationId),
        concertId,
        date: rs[0]!.date,
        seatNo: rs[0]!.seatNo,
        seats: paid,
        amount: total,
        balance: entry.balanceAfter,
        status: 'PAID',
        paidAt: entry.at,
      };
      rs.forEach((r, i) => {
        tx.add(`seat#${i}`, seats.reserve(r, paymentId, now)).add(`reservation#${i}`, seats.confirm(r, req.userId, paymentId, entry.at, now));
      });
      tx.add('payment', {
        Put: {
          TableName: db.tables.accounts,
          Item: { userId: req.userId, sk: paymentSk(now, paymentId), ...payment },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      })
        .add('guard', wallets.removeHolds(req.userId, concertId, ids))
        .add('idempotency', idempotency.record(req.userId, 'payment', req.idempotencyKey, hash, payment, now));

      const result = await db.transact(tx);
      if (result.committed) {
        count('PaymentsSucceeded');
        logger.info('payment.completed', { paymentId, reservationIds: payment.reservationIds, amount: total, balance: entry.balanceAfter });
        return { done: true, value: { payment, replayed: false } };
      }
      const why = explain(result, rs, total);
      if (why === 'REPLAY') {
        const replay = await idempotency.findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
        if (replay) return { done: true, value: { payment: normalised(replay), replayed: true } };
      } else if (why !== 'RETRY') {
        count('PaymentsFailed');
        logger.info('payment.rejected', { reservationIds: ids, reason: (why as { code?: string }).code ?? why.message });
        throw why;
      }
      return { done: false };
    });
  }

  async list(userId: string, limit: number, cursor?: string) {
    const { items, nextCursor } = await this.deps.db.userPage(userId, 'PAYMENT#', limit, cursor);
    const payments = items.map(({ userId: _u, sk: _sk, ...p }) => normalised(p as PaymentResult));
    return { payments, nextCursor };
  }
}
