/**
 * The prepaid wallet's operations: balance, top-ups and history. The rules about the
 * wallet items themselves (conditions, the ledger) are in wallet-store.ts.
 */
import { randomUUID } from 'node:crypto';
import { Transaction } from '../clients/transactions';
import type { Dynamo } from '../clients/dynamodb';
import type { Config } from '../config';
import { BadRequestError, UnprocessableError } from '../errors';
import { requestHash, type IdempotencyStore } from '../idempotency/records';
import { count, logger } from '../observability';
import type { WalletStore } from './wallet-store';

export interface ChargeResult {
  userId: string;
  balance: number;
  charged: number;
  chargeId: string;
  at: string;
}

type ChargeItem = 'wallet' | 'ledger' | 'idempotency';

export class Wallet {
  constructor(
    private readonly deps: {
      db: Dynamo;
      wallets: WalletStore;
      idempotency: IdempotencyStore;
      config: Pick<Config, 'CHARGE_MIN' | 'CHARGE_MAX' | 'BALANCE_MAX'>;
    },
  ) {}

  async balance(userId: string) {
    const w = await this.deps.wallets.read(userId);
    return { userId, balance: w.balance };
  }

  history(userId: string, limit: number, cursor?: string) {
    return this.deps.wallets.ledgerPage(userId, limit, cursor);
  }

  async charge(userId: string, amount: number, idempotencyKey?: string): Promise<{ result: ChargeResult; replayed: boolean }> {
    const { db, wallets, idempotency, config } = this.deps;
    if (amount < config.CHARGE_MIN || amount > config.CHARGE_MAX) {
      throw new BadRequestError('AMOUNT_OUT_OF_RANGE', `A charge must be between ${config.CHARGE_MIN} and ${config.CHARGE_MAX} won.`, {
        min: config.CHARGE_MIN,
        max: config.CHARGE_MAX,
      });
    }
    const hash = requestHash({ amount });
    if (idempotencyKey) {
      const replay = await idempotency.findReplay<ChargeResult>(userId, 'charge', idempotencyKey, hash);
      if (replay) return { result: replay, replayed: true };
    }

    return wallets.change<{ result: ChargeResult; replayed: boolean }>(userId, async (wallet, now) => {
      if (wallet.balance + amount > config.BALANCE_MAX) {
        throw new UnprocessableError('BALANCE_LIMIT_EXCEEDED', `A balance may not exceed ${config.BALANCE_MAX} won; it is ${wallet.balance} won.`, {
          balance: wallet.balance,
          maxBalance: config.BALANCE_MAX,
        });
      }
      const chargeId = randomUUID();
      const tx = new Transaction<ChargeItem>();
      const entry = wallets.addChange(tx, wallet, 'CHARGE', amount, `charge:${chargeId}`, now);
      const result: ChargeResult = { userId, balance: entry.balanceAfter, charged: amount, chargeId, at: entry.at };
      if (idempotencyKey) tx.add('idempotency', idempotency.record(userId, 'charge', idempotencyKey, hash, result, now));

      const outcome = await db.transact(tx);
      if (outcome.committed) {
        count('ChargesApplied');
        logger.info('wallet.charged', { amount, balance: entry.balanceAfter, chargeId });
        return { done: true, value: { result, replayed: false } };
      }
      if (idempotencyKey && outcome.failed('idempotency')) {
        const replay = await idempotency.findReplay<ChargeResult>(userId, 'charge', idempotencyKey, hash);
        if (replay) return { done: true, value: { result: replay, replayed: true } };
      }
      return { done: false };
    });
  }
}
