/**
 * The DynamoDB document client of an app (one per Lambda container), the table names,
 * and the reading helpers every store uses. Outages are turned into
 * DependencyUnavailableError by a middleware on the client itself, so stores only ever
 * see either an answer or a 503-shaped error.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';
import { BadRequestError } from '../errors';
import { awsClientConfig, mapOutages } from './aws';
import { transact, type TransactItem, type Transaction, type TransactionStats, type TransactResult } from './transactions';

export type Item = Record<string, any>;

export interface Tables {
  concerts: string;
  seats: string;
  reservations: string;
  accounts: string;
}

export class Dynamo {
  readonly client: DynamoDBClient;
  private readonly destroyAgents: () => void;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: Tables;
  readonly transactionStats: TransactionStats = { committed: 0, cancelledTransactions: 0, cancelled: {} };

  constructor(config: Config) {
    const setup = awsClientConfig(config, config.DYNAMODB_ENDPOINT);
    this.client = new DynamoDBClient(setup.clientConfig);
    this.destroyAgents = setup.destroyAgents;
    mapOutages(this.client, 'dynamodb');
    this.doc = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tables = {
      concerts: config.TABLE_CONCERTS,
      seats: config.TABLE_SEATS,
      reservations: config.TABLE_RESERVATIONS,
      accounts: config.TABLE_ACCOUNTS,
    };
  }

  private readonly commitListeners: ((items: TransactItem[]) => void)[] = [];

  /** Calls `listener` with the items of every transaction this client commits (caches that must forget). */
  onCommit(listener: (items: TransactItem[]) => void): void {
    this.commitListeners.push(listener);
  }

  async transact<N extends string>(tx: Transaction<N>): Promise<TransactResult<N>> {
    const result = await transact(this.doc, tx, this.transactionStats);
    if (result.committed) for (const listener of this.commitListeners) listener(tx.items);
    return result;
  }

  /** Every item a query matches, page after page. */
  async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of paginateQuery({ client: this.doc }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** Every item a scan matches, page after page (small tables only). */
  async scanAll(input: ScanCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of paginateScan({ client: this.doc }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /**
   * One page of the caller's items in the accounts table whose sort key starts with
   * `prefix`, newest first. The cursor is the sort key where the page stopped; it is only
   * ever applied inside the caller's own partition.
   */
  async userPage(userId: string, prefix: string, limit: number, cursor?: string) {
    let start: string | undefined;
    if (cursor) {
      start = Buffer.from(cursor, 'base64url').toString();
      if (!start.startsWith(prefix) || start.length > 200) throw new BadRequestError('INVALID_CURSOR', 'The cursor is not valid.');
    }
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.accounts,
        KeyConditionExpression: 'userId = :u AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':u': userId, ':p': prefix },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: start ? { userId, sk: start } : undefined,
      }),
    );
    const next = page.LastEvaluatedKey?.sk;
    return { items: page.Items ?? [], nextCursor: next ? Buffer.from(String(next)).toString('base64url') : null };
  }

  destroy(): void {
    this.client.destroy();
    this.destroyAgents();
  }
}
