/**
 * Creates the tables and queues of infra/resources.yml on a local endpoint (the
 * embedded stack or LocalStack). The template is read as Serverless resolves it
 * (`serverless print`), so names and key schemas come from the one definition that
 * AWS deploys; only the properties DynamoDB Local / SQS emulators understand are used.
 */
import { spawn } from 'node:child_process';
import {
  CreateTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

interface CfnResource {
  Type: string;
  Properties: Record<string, any>;
}

export interface ResolvedService {
  resources: Record<string, CfnResource>;
  functions: Record<string, unknown>;
  /** provider.environment as resolved for the stage (table and queue names, tunables). */
  environment: Record<string, string>;
}

/** Runs `serverless print` for `stage` (with `params` as --param name=value) and returns the resolved resources and functions. */
export function printService(projectDir: string, stage: string, env: NodeJS.ProcessEnv = process.env, params: Record<string, string> = {}): Promise<ResolvedService> {
  return new Promise((resolve, reject) => {
    const bin = require.resolve('serverless/bin/serverless.js', { paths: [projectDir] });
    const paramArgs = Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    const child = spawn(process.execPath, [bin, 'print', '--stage', stage, '--format', 'json', ...paramArgs], {
      cwd: projectDir,
      env: { ...env, SLS_TELEMETRY_DISABLED: '1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`serverless print failed (${code}):\n${err}\n${out}`)); // the reason is on stdout
      const config = JSON.parse(out.slice(out.indexOf('{')));
      resolve({
        resources: config.resources?.Resources ?? {},
        functions: config.functions ?? {},
        environment: config.provider?.environment ?? {},
      });
    });
  });
}

function tableInput(p: Record<string, any>): CreateTableCommandInput {
  return {
    TableName: p.TableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: p.BillingMode ?? 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
  };
}

function queueAttributes(p: Record<string, any>, arnOf: (logicalId: string) => string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(p)) {
    if (key === 'QueueName' || key === 'Tags') continue;
    if (key === 'RedrivePolicy') {
      const target = value.deadLetterTargetArn;
      const arn = typeof target === 'string' ? target : arnOf(target['Fn::GetAtt'][0]);
      attrs.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: value.maxReceiveCount });
    } else {
      attrs[key] = String(value);
    }
  }
  return attrs;
}

/** Creates every table and queue (dead-letter queues first); existing ones are kept. */
export async function createResources(resources: Record<string, CfnResource>, dynamo: DynamoDBClient, sqs: SQSClient) {
  const tables = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
  await Promise.all(
    tables.map(async ({ Properties: p }) => {
      try {
        await dynamo.send(new CreateTableCommand(tableInput(p)));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
      if (p.TimeToLiveSpecification?.Enabled) {
        await dynamo
          .send(new UpdateTimeToLiveCommand({ TableName: p.TableName, TimeToLiveSpecification: p.TimeToLiveSpecification }))
          .catch((err: Error) => {
            if (!/already enabled/i.test(err.message)) throw err;
          });
      }
    }),
  );

  const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
  const arns = new Map<string, string>();
  const arnOf = (logicalId: string) => {
    const arn = arns.get(logicalId);
    if (!arn) throw new Error(`Queue ${logicalId} must be created before the queues that refer to it`);
    return arn;
  };
  // Queues without a redrive policy (the dead-letter queues) first.
  queues.sort(([, a], [, b]) => Number(Boolean(a.Properties.RedrivePolicy)) - Number(Boolean(b.Properties.RedrivePolicy)));
  for (const [logicalId, { Properties: p }] of queues) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: p.QueueName, Attributes: queueAttributes(p, arnOf) }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    arns.set(logicalId, Attributes!.QueueArn!);
  }
  return {
    tables: tables.map((t) => String(t.Properties.TableName)),
    queues: queues.map(([, q]) => String(q.Properties.QueueName)),
  };
}
