/**
 * Paying a held seat from the wallet. One TransactWriteItems does all of it:
 *   0 wallet       balance -= price            if seq unchanged and balance >= price
 *   1 ledger       USE entry                   new
 *   2 seat         HELD -> RESERVED            if held by this reservation and unexpired
 *   3 reservation  HELD -> CONFIRMED           if the caller's and unexpired
 *   4 payment      record                      new
 *   5 hold guard   the hold no longer counts
 *   6 idempotency  key -> this response        new
 * Either all of it happens or none of it; the cancellation reasons say precisely why
 * not (hold expired, already paid, not yours, insufficient balance). A release racing
 * the payment at the moment of expiry conditions on the same seat item, so exactly one
 * of them wins.
 */
import { randomUUID } from 'node:crypto';
import { tables, userPage } from '../clients/dynamodb';
import { failed, transact, type TransactResult } from '../clients/transactions';
import { ConflictError, PaymentRequiredError } from '../errors';
import { findReplay, recordItem, requestHash } from '../idempotency/records';
import { count, logger } from '../observability';
import { getOwnReservation, holdGuardReleaseItem, type ReservationItem } from '../booking/holds';
import { seatKey } from '../booking/keys';
import { balanceChangeItems, changeWallet } from '../wallet/wallet';

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
function explain(result: TransactResult, r: ReservationItem): Error | 'RETRY' | 'REPLAY' {
  if (result.committed) throw new Error('explain() called on a committed transaction');
  if (failed(result, 6)) return 'REPLAY';
  if (failed(result, 3)) {
    const current = result.reasons[3]?.item as ReservationItem | undefined;
    if (current?.status === 'CONFIRMED') return alreadyPaid(current);
    return holdExpired();
  }
  if (failed(result, 2)) return holdExpired();
  if (failed(result, 0)) {
    const wallet = result.reasons[0]?.item;
    const balance = Number(wallet?.balance ?? 0);
    if (balance < r.price) return insufficient(balance, r.price);
    return 'RETRY'; // the wallet changed between our read and the transaction
  }
  if (failed(result, 1) || failed(result, 4)) return 'RETRY';
  return new Error(`payment transaction cancelled: ${JSON.stringify(result.reasons.map((x) => x.code))}`);
}

export async function pay(req: PayRequest): Promise<{ payment: PaymentResult; replayed: boolean }> {
  const hash = requestHash({ reservationId: req.reservationId });
  const earlier = await findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
  if (earlier) return { payment: earlier, replayed: true };

  const r = await getOwnReservation(req.userId, req.reservationId);
  if (r.status === 'CONFIRMED') throw alreadyPaid(r);
  if (r.status !== 'HELD' || r.expiresAt <= Date.now()) throw holdExpired();
  await req.requireActive(r.concertId);

  return changeWallet<{ payment: PaymentResult; replayed: boolean }>(req.userId, async (wallet, now) => {
    if (wallet.balance < r.price) {
      count('PaymentsFailed');
      throw insufficient(wallet.balance, r.price);
    }
    const paymentId = randomUUID();
    const { items, entry } = balanceChangeItems(wallet, 'USE', r.price, `payment:${paymentId}`, now);
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
    items.push(
      {
        Update: {
          TableName: tables.seats,
          Key: seatKey(r.concertId, r.date, r.seatNo),
          UpdateExpression: 'SET #status = :reserved, paymentId = :pid REMOVE holdExpiresAt, heldShard',
          ConditionExpression: '#status = :held AND reservationId = :rid AND holdExpiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':reserved': 'RESERVED', ':held': 'HELD', ':pid': paymentId, ':rid': r.reservationId, ':now': now },
        },
      },
      {
        Update: {
          TableName: tables.reservations,
          Key: { reservationId: r.reservationId },
          UpdateExpression: 'SET #status = :confirmed, paymentId = :pid, confirmedAt = :at',
          ConditionExpression: '#status = :held AND userId = :uid AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':held': 'HELD', ':pid': paymentId, ':at': entry.at, ':uid': req.userId, ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          TableName: tables.accounts,
          Item: { userId: req.userId, sk: paymentSk(now, paymentId), ...payment },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      },
      holdGuardReleaseItem(r),
      recordItem(req.userId, 'payment', req.idempotencyKey, hash, payment, now),
    );

    const result = await transact(items);
    if (result.committed) {
      count('PaymentsSucceeded');
      logger.info('payment.completed', { paymentId, reservationId: r.reservationId, amount: r.price, balance: entry.balanceAfter });
      return { done: true, value: { payment, replayed: false } };
    }
    const why = explain(result, r);
    if (why === 'REPLAY') {
      const replay = await findReplay<PaymentResult>(req.userId, 'payment', req.idempotencyKey, hash);
      if (replay) return { done: true, value: { payment: replay, replayed: true } };
    } else if (why !== 'RETRY') {
      count('PaymentsFailed');
      logger.info('payment.rejected', { reservationId: r.reservationId, reason: (why as { code?: string }).code ?? why.message });
      throw why;
    }
    return { done: false };
  });
}

export async function listPayments(userId: string, limit: number, cursor?: string) {
  const { items, nextCursor } = await userPage(userId, 'PAYMENT#', limit, cursor);
  const payments = items.map(({ userId: _u, sk: _sk, ...p }) => p as PaymentResult);
  return { payments, nextCursor };
}
