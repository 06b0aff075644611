/**
 * Paying a held seat from the wallet. One TransactWriteItems does all of it, each item
 * named and its condition owned by its store:
 *   wallet       balance -= price          seq unchanged, balance >= price   (wallet-store)
 *   ledger       USE entry                 new                               (wallet-store)
 *   seat         HELD -> RESERVED          held by this reservation, unexpired (seat-store)
 *   reservation  HELD -> CONFIRMED         the caller's, unexpired           (seat-store)
 *   payment      record                    new                               (here)
 *   guard        the hold no longer counts                                   (wallet-store)
 *   idempotency  key -> this response      unused                            (idempotency)
 * Either all of it happens or none of it; the cancellation reasons say precisely why
 * not (hold expired, already paid, not yours, insufficient balance). A release racing
 * the payment at the moment of expiry conditions on the same seat item, so exactly one
 * of them wins.
 */
import { randomUUID } from 'node:crypto';
import type { Dynamo } from '../clients/dynamodb';
import { Transaction, type TransactResult } from '../clients/transactions';
import { ConflictError, PaymentRequiredError } from '../errors';
import { requestHash, type IdempotencyStore } from '../idempotency/records';
import { count, logger } from '../observability';
import type { ReservationItem, SeatStore } from '../booking/seat-store';
import type { Holds } from '../booking/holds';
import type { WalletStore } from '../wallet/wallet-store';

export interface PaymentResult {
  paymentId: string;
  reservationId: string;
  concertId: string;
  date: string;
  seatNo: number;
  amount: number;
  balance: number;
  status: 'PAID';
  paidAt: string;
}

export interface PayRequest {
  userId: string;
  reservationId: string;
  idempotencyKey: string;
  /** Checks the caller's queue gate for the reservation's concert (booking endpoints are gated). */
  requireActive: (concertId: string) => Promise<unknown>;
}

type PaymentItem = 'wallet' | 'ledger' | 'seat' | 'reservation' | 'payment' | 'guard' | 'idempotency';

const paymentSk = (paidAt: number, paymentId: string) => `PAYMENT#${String(paidAt).padStart(15, '0')}#${paymentId}`;

function holdExpired(): ConflictError {
  return new ConflictError('HOLD_EXPIRED', 'The hold on this seat has ended; hold the seat again to buy it.');
}

function alreadyPaid(r: Pick<ReservationItem, 'paymentId'>): ConflictError {
  return new ConflictError('ALREADY_PAID', 'This reservation is already paid.', { paymentId: r.paymentId });
}

function insufficient(balance: number, price: number): PaymentRequiredError {
  return new PaymentRequiredError('INSUFFICIENT_BALANCE', `Your balance is ${balance} won; the seat costs ${price} won. Top up ${price - balance} won and try again.`, {
    balance,
    price,
    shortBy: price - balance,
  });
}

/** Why a payment transaction was cancelled, from the items' cancellation reasons. */
function explain(result: TransactResult<PaymentItem>, r: ReservationItem): Error | 'RETRY' | 'REPLAY' {
  if (result.committed) throw new Error('explain() called on a committed transaction');
  if (result.failed('idempotency')) return 'REPLAY';
  if (result.failed('reservation')) {
    const current = result.itemOf('reservation') as ReservationItem | undefined;
    if (current?.status === 'CONFIRMED') return alreadyPaid(current);
    return holdExpired();
  }
  if (result.failed('seat')) return holdExpired();
  if (result.failed('wallet')) {
    const balance = Number(result.itemOf('wallet')?.balance ?? 0);
    if (balance < r.price) return insufficient(balance, r.price);
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
    },
  ) {}

  async pay(req: PayRequest): Promise<{ payment: PaymentResult; replayed: boolean }> {
    const { db, seats, holds, wallets, idempotency } = this.deps;
    const hash = requestHash({ reservationId: req.reservationId });
    const earlier = await idempotency.findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
    if (earlier) return { payment: earlier, replayed: true };

    const r = await holds.ownReservation(req.userId, req.reservationId);
    if (r.status === 'CONFIRMED') throw alreadyPaid(r);
    if (r.status !== 'HELD' || r.expiresAt <= Date.now()) throw holdExpired();
    await req.requireActive(r.concertId);

    return wallets.change<{ payment: PaymentResult; replayed: boolean }>(req.userId, async (wallet, now) => {
      if (wallet.balance < r.price) {
        count('PaymentsFailed');
        throw insufficient(wallet.balance, r.price);
      }
      const paymentId = randomUUID();
      const tx = new Transaction<PaymentItem>();
      const entry = wallets.addChange(tx, wallet, 'USE', r.price, `payment:${paymentId}`, now);
      const payment: PaymentResult = {
        paymentId,
        reservationId: r.reservationId,
        concertId: r.concertId,
        date: r.date,
        seatNo: r.seatNo,
        amount: r.price,
        balance: entry.balanceAfter,
        status: 'PAID',
        paidAt: entry.at,
      };
      tx.add('seat', seats.reserve(r, paymentId, now))
        .add('reservation', seats.confirm(r, req.userId, paymentId, entry.at, now))
        .add('payment', {
          Put: {
            TableName: db.tables.accounts,
            Item: { userId: req.userId, sk: paymentSk(now, paymentId), ...payment },
            ConditionExpression: 'attribute_not_exists(sk)',
          },
        })
        .add('guard', wallets.removeHold(r))
        .add('idempotency', idempotency.record(req.userId, 'payment', req.idempotencyKey, hash, payment, now));

      const result = await db.transact(tx);
      if (result.committed) {
        count('PaymentsSucceeded');
        logger.info('payment.completed', { paymentId, reservationId: r.reservationId, amount: r.price, balance: entry.balanceAfter });
        return { done: true, value: { payment, replayed: false } };
      }
      const why = explain(result, r);
      if (why === 'REPLAY') {
        const replay = await idempotency.findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
        if (replay) return { done: true, value: { payment: replay, replayed: true } };
      } else if (why !== 'RETRY') {
        count('PaymentsFailed');
        logger.info('payment.rejected', { reservationId: r.reservationId, reason: (why as { code?: string }).code ?? why.message });
        throw why;
      }
      return { done: false };
    });
  }

  async list(userId: string, limit: number, cursor?: string) {
    const { items, nextCursor } = await this.deps.db.userPage(userId, 'PAYMENT#', limit, cursor);
    const payments = items.map(({ userId: _u, sk: _sk, ...p }) => p as PaymentResult);
    return { payments, nextCursor };
  }
}
