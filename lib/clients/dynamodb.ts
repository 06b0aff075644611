/**
 * The one DynamoDB document client of a Lambda container. Outages are turned into
 * DependencyUnavailableError by a middleware on the client itself, so domain code only
 * ever sees either an answer or a 503-shaped error.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { toDependencyError } from './dependency-errors';

const localCredentials =
  config.DYNAMODB_ENDPOINT && !process.env.AWS_ACCESS_KEY_ID
    ? { accessKeyId: 'local', secretAccessKey: 'local' }
    : undefined;

const client = new DynamoDBClient({
  region: config.AWS_REGION,
  endpoint: config.DYNAMODB_ENDPOINT,
  credentials: localCredentials,
  maxAttempts: 3,
  requestHandler: {
    connectionTimeout: config.DEPENDENCY_TIMEOUT_MS,
    requestTimeout: config.DEPENDENCY_TIMEOUT_MS,
  },
});

client.middlewareStack.add(
  (next) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      throw toDependencyError('dynamodb', err);
    }
  },
  { step: 'initialize', name: 'dependencyErrors' },
);

export const ddb = DynamoDBDocumentClient.from(client, {
  marshallOptions: { removeUndefinedValues: true },
});

export const tables = {
  concerts: config.TABLE_CONCERTS,
  seats: config.TABLE_SEATS,
  reservations: config.TABLE_RESERVATIONS,
  accounts: config.TABLE_ACCOUNTS,
} as const;
