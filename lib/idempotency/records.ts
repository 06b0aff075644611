/**
 * Idempotency records for money-moving requests (charges, payments).
 *
 * The record is written INSIDE the same TransactWriteItems as the debit or credit it
 * describes, with attribute_not_exists. So a key is either unused, or bound to exactly
 * one committed result: a crash between "money moved" and "result saved" cannot happen,
 * and concurrent retries with one key cannot both move money. (A library that saves the
 * record around the handler, such as Powertools idempotency, leaves that window open,
 * which for a wallet means a double charge; that is why this small module exists.)
 *
 * Records live in the caller's partition of the accounts table (keys never collide
 * between users) and expire through DynamoDB TTL after IDEMPOTENCY_TTL_SECONDS.
 */
import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Dynamo } from '../clients/dynamodb';
import type { TransactItem } from '../clients/transactions';
import { UnprocessableError } from '../errors';

export type Scope = 'charge' | 'payment';

interface StoredRecord<T> {
  requestHash: string;
  response: T;
  createdAt: string;
}

const keyOf = (userId: string, scope: Scope, key: string) => ({ userId, sk: `IDEM#${scope}#${key}` });

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

export const IDEMPOTENCY_CONDITIONS = {
  // An expired record may linger until DynamoDB's TTL deletes it (up to days): it no
  // longer binds the key.
  unused: 'attribute_not_exists(sk) OR #ttl < :nowSec',
} as const;

export class IdempotencyStore {
  constructor(
    private readonly db: Dynamo,
    private readonly ttlSeconds: number,
  ) {}

  /** The transaction item that binds `key` to `response`; fails if the key is taken. */
  record<T>(userId: string, scope: Scope, key: string, hash: string, response: T, now: number): TransactItem {
    return {
      Put: {
        TableName: this.db.tables.accounts,
        Item: {
          ...keyOf(userId, scope, key),
          requestHash: hash,
          response,
          createdAt: new Date(now).toISOString(),
          ttl: Math.floor(now / 1000) + this.ttlSeconds,
        },
        ConditionExpression: IDEMPOTENCY_CONDITIONS.unused,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':nowSec': Math.floor(now / 1000) },
      },
    };
  }

  /**
   * The stored response for `key`, or undefined if the key is unused (or expired).
   * A key reused for a different request is a 422.
   */
  async findReplay<T>(userId: string, scope: Scope, key: string, hash: string): Promise<T | undefined> {
    const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.accounts, Key: keyOf(userId, scope, key), ConsistentRead: true }));
    if (!Item || Number(Item.ttl) * 1000 < Date.now()) return undefined;
    const record = Item as unknown as StoredRecord<T>;
    if (record.requestHash !== hash) {
      throw new UnprocessableError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request.');
    }
    return record.response;
  }
}
