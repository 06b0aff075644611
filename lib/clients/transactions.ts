/**
 * TransactWriteItems with the answer the domain needs: either committed, or the
 * per-item cancellation reasons (with the item's values when a condition failed, via
 * ReturnValuesOnConditionCheckFailure = ALL_OLD), so callers can say precisely why.
 * Conflicts with another transaction in flight (AWS only) are retried here with jitter.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyUnavailableError } from '../errors';
import { ddb } from './dynamodb';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface CancelReason {
  /** 'None' for items that did not fail, 'ConditionalCheckFailed', 'TransactionConflict', ... */
  code: string;
  /** The item as it was, when its condition failed. */
  item?: Record<string, unknown>;
}

export type TransactResult = { committed: true } | { committed: false; reasons: CancelReason[] };

const CONFLICT_RETRIES = 5;

/**
 * Outcomes of this container's transactions: commits, and cancelled items by reason
 * (ConditionalCheckFailed, TransactionConflict, ...). Read by the benchmark; cheap
 * enough to keep always.
 */
export const transactionStats = { committed: 0, cancelled: {} as Record<string, number> };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full-jitter exponential backoff: a random wait in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs = 10, capMs = 200): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/**
 * Runs one TransactWriteItems. The SDK gives each call a ClientRequestToken and reuses
 * it on its own retries, so a retried network call never applies a transaction twice.
 */
export async function transact(items: TransactItem[]): Promise<TransactResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      transactionStats.committed++;
      return { committed: true };
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons: CancelReason[] = (err.CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? 'None',
        item: r.Item ? unmarshall(r.Item) : undefined,
      }));
      for (const r of reasons) if (r.code !== 'None') transactionStats.cancelled[r.code] = (transactionStats.cancelled[r.code] ?? 0) + 1;
      const transient = reasons.some((r) => r.code === 'TransactionConflict' || r.code === 'ThrottlingError' || r.code === 'ProvisionedThroughputExceeded');
      const conditionFailed = reasons.some((r) => r.code === 'ConditionalCheckFailed');
      if (conditionFailed || !transient) return { committed: false, reasons };
      if (attempt >= CONFLICT_RETRIES) throw new DependencyUnavailableError('dynamodb', err);
      await sleep(backoffMs(attempt));
    }
  }
}

/** True when the condition of item `index` failed. */
export const failed = (result: TransactResult, index: number): boolean =>
  !result.committed && result.reasons[index]?.code === 'ConditionalCheckFailed';
