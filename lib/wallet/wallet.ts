/**
 * The prepaid wallet: balance plus an append-only ledger.
 *
 * Accounts table, partition = userId:
 *   WALLET           { balance, seq }             seq = number of ledger entries
 *   LEDGER#<seq>     { type, amount, balanceAfter, at, ref }
 * Every balance change is one transaction that moves the wallet from seq n to n+1 and
 * writes ledger entry n+1 (attribute_not_exists). The condition on seq makes concurrent
 * changes of one wallet serialise (optimistic concurrency, retried with jitter), keeps
 * the ledger gap-free, and makes `balanceAfter` exact. Invariant: balance = sum of
 * CHARGE amounts - sum of USE amounts = balanceAfter of the last entry.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tables, userPage } from '../clients/dynamodb';
import { backoffMs, failed, sleep, transact, type TransactItem } from '../clients/transactions';
import { config } from '../config';
import { BadRequestError, ConflictError, UnprocessableError } from '../errors';
import { findReplay, recordItem, requestHash } from '../idempotency/records';
import { count, logger } from '../observability';

export interface WalletState {
  userId: string;
  balance: number;
  seq: number;
}

export type LedgerType = 'CHARGE' | 'USE';

export interface LedgerEntry {
  type: LedgerType;
  amount: number;
  balanceAfter: number;
  at: string;
  ref: string;
}

export interface ChargeResult {
  userId: string;
  balance: number;
  charged: number;
  chargeId: string;
  at: string;
}


const walletKey = (userId: string) => ({ userId, sk: 'WALLET' });
const ledgerSk = (seq: number) => `LEDGER#${String(seq).padStart(12, '0')}`;

export async function readWallet(userId: string): Promise<WalletState> {
  const { Item } = await ddb.send(new GetCommand({ TableName: tables.accounts, Key: walletKey(userId), ConsistentRead: true }));
  return { userId, balance: Number(Item?.balance ?? 0), seq: Number(Item?.seq ?? 0) };
}

/** What one attempt of a wallet change came to. */
export type Attempt<T> = { done: true; value: T } | { done: false };

/**
 * Runs a wallet change under optimistic concurrency: `attempt` builds one transaction
 * from the wallet as just read and runs it. When it loses the race (another change of
 * the same wallet committed in between), it waits a jittered, growing backoff, reads
 * the wallet again and retries, until WALLET_RETRY_BUDGET_MS is spent (then 409
 * WALLET_BUSY: nothing was changed, the client may retry).
 *
 * Measured on DynamoDB Local with 100-200 concurrent changes of one wallet: re-reading
 * after the backoff beats reusing the item returned by the failed condition (which is
 * stale by the time the backoff ends), and a 20 ms base / 1 s cap keeps the attempt
 * rate near what the table absorbs (200 concurrent charges: ~5 s, all applied).
 */
export async function changeWallet<T>(userId: string, attempt: (wallet: WalletState, now: number) => Promise<Attempt<T>>): Promise<T> {
  const deadline = Date.now() + config.WALLET_RETRY_BUDGET_MS;
  for (let i = 0; ; i++) {
    const outcome = await attempt(await readWallet(userId), Date.now());
    if (outcome.done) return outcome.value;
    if (Date.now() >= deadline) throw new ConflictError('WALLET_BUSY', 'Your wallet is being changed by other requests; try again.');
    await sleep(backoffMs(i, 20, 1000));
  }
}

/**
 * The two transaction items that apply `delta` to a wallet read as `wallet`: the wallet
 * update (conditioned on its seq, and for debits on the balance) and the ledger entry.
 */
export function balanceChangeItems(wallet: WalletState, type: LedgerType, amount: number, ref: string, now: number) {
  const delta = type === 'CHARGE' ? amount : -amount;
  const next = wallet.seq + 1;
  const entry: LedgerEntry = { type, amount, balanceAfter: wallet.balance + delta, at: new Date(now).toISOString(), ref };
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tables.accounts,
        Key: walletKey(wallet.userId),
        UpdateExpression: 'SET balance = :after, seq = :next, updatedAt = :at',
        ConditionExpression:
          (wallet.seq === 0 ? 'attribute_not_exists(sk)' : 'seq = :seq') + (delta < 0 ? ' AND balance >= :amount' : ''),
        ExpressionAttributeValues: {
          ':after': entry.balanceAfter,
          ':next': next,
          ':at': entry.at,
          ...(wallet.seq === 0 ? {} : { ':seq': wallet.seq }),
          ...(delta < 0 ? { ':amount': amount } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: tables.accounts,
        Item: { userId: wallet.userId, sk: ledgerSk(next), ...entry },
        ConditionExpression: 'attribute_not_exists(sk)',
      },
    },
  ];
  return { items, entry };
}

export async function getBalance(userId: string) {
  const w = await readWallet(userId);
  return { userId, balance: w.balance };
}

export async function charge(userId: string, amount: number, idempotencyKey?: string): Promise<{ result: ChargeResult; replayed: boolean }> {
  if (amount < config.CHARGE_MIN || amount > config.CHARGE_MAX) {
    throw new BadRequestError('AMOUNT_OUT_OF_RANGE', `A charge must be between ${config.CHARGE_MIN} and ${config.CHARGE_MAX} won.`, {
      min: config.CHARGE_MIN,
      max: config.CHARGE_MAX,
    });
  }
  const hash = requestHash({ amount });
  if (idempotencyKey) {
    const replay = await findReplay<ChargeResult>(userId, 'charge', idempotencyKey, hash);
    if (replay) return { result: replay, replayed: true };
  }

  return changeWallet<{ result: ChargeResult; replayed: boolean }>(userId, async (wallet, now) => {
    if (wallet.balance + amount > config.BALANCE_MAX) {
      throw new UnprocessableError('BALANCE_LIMIT_EXCEEDED', `A balance may not exceed ${config.BALANCE_MAX} won; it is ${wallet.balance} won.`, {
        balance: wallet.balance,
        maxBalance: config.BALANCE_MAX,
      });
    }
    const chargeId = randomUUID();
    const { items, entry } = balanceChangeItems(wallet, 'CHARGE', amount, `charge:${chargeId}`, now);
    const result: ChargeResult = { userId, balance: entry.balanceAfter, charged: amount, chargeId, at: entry.at };
    if (idempotencyKey) items.push(recordItem(userId, 'charge', idempotencyKey, hash, result, now));

    const outcome = await transact(items);
    if (outcome.committed) {
      count('ChargesApplied');
      logger.info('wallet.charged', { amount, balance: entry.balanceAfter, chargeId });
      return { done: true, value: { result, replayed: false } };
    }
    if (idempotencyKey && failed(outcome, 2)) {
      const replay = await findReplay<ChargeResult>(userId, 'charge', idempotencyKey, hash);
      if (replay) return { done: true, value: { result: replay, replayed: true } };
    }
    return { done: false };
  });
}

export async function history(userId: string, limit: number, cursor?: string) {
  const { items, nextCursor } = await userPage(userId, 'LEDGER#', limit, cursor);
  const entries = items.map((i) => ({ type: i.type, amount: i.amount, balanceAfter: i.balanceAfter, at: i.at, ref: i.ref }) as LedgerEntry);
  return { entries, nextCursor };
}
