/**
 * The one DynamoDB document client of a Lambda container, and the reading helpers every
 * module uses. Outages are turned into DependencyUnavailableError by a middleware on the
 * client itself, so domain code only ever sees either an answer or a 503-shaped error.
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
import { config } from '../config';
import { BadRequestError } from '../errors';
import { awsClientConfig, mapOutages } from './aws';

const client = new DynamoDBClient(awsClientConfig(config.DYNAMODB_ENDPOINT));
mapOutages(client, 'dynamodb');

export const ddb = DynamoDBDocumentClient.from(client, {
  marshallOptions: { removeUndefinedValues: true },
});

export const tables = {
  concerts: config.TABLE_CONCERTS,
  seats: config.TABLE_SEATS,
  reservations: config.TABLE_RESERVATIONS,
  accounts: config.TABLE_ACCOUNTS,
} as const;

type Item = Record<string, any>;

/** Every item a query matches, page after page. */
export async function queryAll(input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateQuery({ client: ddb }, input)) items.push(...(page.Items ?? []));
  return items;
}

/** Every item a scan matches, page after page (small tables only). */
export async function scanAll(input: ScanCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client: ddb }, input)) items.push(...(page.Items ?? []));
  return items;
}

/**
 * One page of the caller's items in the accounts table whose sort key starts with
 * `prefix`, newest first. The cursor is the sort key where the page stopped; it is only
 * ever applied inside the caller's own partition.
 */
export async function userPage(userId: string, prefix: string, limit: number, cursor?: string) {
  let start: string | undefined;
  if (cursor) {
    start = Buffer.from(cursor, 'base64url').toString();
    if (!start.startsWith(prefix) || start.length > 200) throw new BadRequestError('INVALID_CURSOR', 'The cursor is not valid.');
  }
  const page = await ddb.send(
    new QueryCommand({
      TableName: tables.accounts,
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
