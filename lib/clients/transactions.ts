/**
 * TransactWriteItems with named items. A flow builds a Transaction by adding each item
 * under a name ('seat', 'wallet', 'reservation', ...); the result answers by name which
 * item's condition failed and what that item held (ReturnValuesOnConditionCheckFailure
 * = ALL_OLD), so reordering items can never change what an error says.
 * Conflicts with another transaction in flight (AWS only) are retried here with jitter.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyUnavailableError } from '../errors';
import { backoffMs, sleep } from '../retry';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface CancelReason {
  /** 'None' for items that did not fail, 'ConditionalCheckFailed', 'TransactionConflict', ... */
  code: string;
  /** The item as it was, when its condition failed. */
  item?: Record<string, unknown>;
}

/** What a store needs to add its items to a flow's transaction. */
export interface AddsItems<N extends string> {
  add(name: N, item: TransactItem): unknown;
}

/** The items of one TransactWriteItems call, each under a name. */
export class Transaction<N extends string = string> implements AddsItems<N> {
  private readonly entries: { name: N; item: TransactItem }[] = [];

  add(name: N, item: TransactItem): this {
    if (this.entries.some((e) => e.name === name)) throw new Error(`transaction item "${name}" added twice`);
    this.entries.push({ name, item });
    return this;
  }

  has(name: N): boolean {
    return this.entries.some((e) => e.name === name);
  }

  get names(): N[] {
    return this.entries.map((e) => e.name);
  }

  get items(): TransactItem[] {
    return this.entries.map((e) => e.item);
  }
}

export class TransactResult<N extends string = string> {
  constructor(
    readonly committed: boolean,
    /** Cancellation reason per item name (empty when committed). */
    readonly reasons: Partial<Record<N, CancelReason>> = {},
  ) {}

  /** True when the condition of the item named `name` failed. */
  failed(name: N): boolean {
    return this.reasons[name]?.code === 'ConditionalCheckFailed';
  }

  /** The item named `name` as it was when its condition failed. */
  itemOf(name: N): Record<string, unknown> | undefined {
    return this.reasons[name]?.item;
  }

  /** 'seat=ConditionalCheckFailed, wallet=None, ...' for error messages and logs. */
  describe(): string {
    return Object.entries(this.reasons)
      .map(([name, r]) => `${name}=${(r as CancelReason).code}`)
      .join(', ');
  }
}

/**
 * Outcomes of one client's transactions: commits, and cancelled items by reason
 * (ConditionalCheckFailed, TransactionConflict, ...). Read by the benchmark.
 */
export interface TransactionStats {
  committed: number;
  /** Transactions DynamoDB cancelled (each attempt counts). */
  cancelledTransactions: number;
  cancelled: Record<string, number>;
}

const CONFLICT_RETRIES = 5;
const TRANSIENT = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/**
 * Runs one TransactWriteItems. The SDK gives each call a ClientRequestToken and reuses
 * it on its own retries, so a retried network call never applies a transaction twice.
 */
export async function transact<N extends string>(doc: DynamoDBDocumentClient, tx: Transaction<N>, stats: TransactionStats): Promise<TransactResult<N>> {
  for (let attempt = 0; ; attempt++) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: tx.items }));
      stats.committed++;
      return new TransactResult<N>(true);
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const names = tx.names;
      const reasons: Partial<Record<N, CancelReason>> = {};
      (err.CancellationReasons ?? []).forEach((r, i) => {
        const name = names[i];
        if (name === undefined) return;
        reasons[name] = { code: r.Code ?? 'None', item: r.Item ? unmarshall(r.Item) : undefined };
      });
      stats.cancelledTransactions++;
      const codes = Object.values<CancelReason | undefined>(reasons).map((r) => r!.code);
      for (const code of codes) if (code !== 'None') stats.cancelled[code] = (stats.cancelled[code] ?? 0) + 1;
      const conditionFailed = codes.includes('ConditionalCheckFailed');
      const transient = codes.some((c) => TRANSIENT.has(c));
      if (conditionFailed || !transient) return new TransactResult<N>(false, reasons);
      if (attempt >= CONFLICT_RETRIES) throw new DependencyUnavailableError('dynamodb', err);
      await sleep(backoffMs(attempt));
    }
  }
}
