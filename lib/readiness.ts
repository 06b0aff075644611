/**
 * Readiness: whether this container can serve requests, that is whether every backing
 * service answers it: the four DynamoDB tables (DescribeTable: ACTIVE or UPDATING, no
 * item read), Redis (PING) and the hold-release queue (GetQueueAttributes). Each check
 * has the usual dependency deadline, they run in parallel, and a container answers from
 * its last result for `ttlMs` (one check in flight at a time), so GET /v1/health, which
 * is public, can be polled by a load balancer or anyone without adding load to the
 * services it looks at.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Dynamo } from './clients/dynamodb';
import { withDeadline } from './clients/dependency-errors';
import type { RedisClient } from './clients/redis';
import type { Sqs } from './clients/sqs';
import { logger } from './observability';

export type Check = 'ok' | 'unavailable';

export interface Readiness {
  ready: boolean;
  checks: { dynamodb: Check; redis: Check; sqs: Check };
  /** When the checks ran (ISO time). */
  checkedAt: string;
}

export interface ReadinessDeps {
  dynamo: Dynamo;
  redis: RedisClient;
  sqs: Sqs;
  releaseQueueName: string;
  timeoutMs: number;
  /** How long a result is reused by this container. */
  ttlMs: number;
}

const USABLE_TABLE = new Set(['ACTIVE', 'UPDATING']);

export class ReadinessProbe {
  private last: { at: number; result: Promise<Readiness> } | undefined;

  constructor(private readonly deps: ReadinessDeps) {}

  check(now = Date.now()): Promise<Readiness> {
    if (this.last && now - this.last.at < this.deps.ttlMs) return this.last.result;
    const result = this.run();
    this.last = { at: now, result };
    return result;
  }

  private async run(): Promise<Readiness> {
    const { dynamo, redis, sqs, releaseQueueName, timeoutMs } = this.deps;
    const [dynamodb, redisCheck, sqsCheck] = await Promise.all([
      this.probe('dynamodb', async () => {
        const tables = await Promise.all(
          Object.values(dynamo.tables).map((TableName) => dynamo.client.send(new DescribeTableCommand({ TableName }))),
        );
        const unusable = tables.filter((t) => !USABLE_TABLE.has(t.Table?.TableStatus ?? ''));
        if (unusable.length > 0) throw new Error(`tables not active: ${unusable.map((t) => `${t.Table?.TableName} ${t.Table?.TableStatus}`).join(', ')}`);
      }),
      this.probe('redis', async () => {
        const reply = await redis.ping();
        if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
      }),
      this.probe('sqs', async () => {
        const QueueUrl = await sqs.queueUrl(releaseQueueName);
        await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      }),
    ]);
    const checks = { dynamodb, redis: redisCheck, sqs: sqsCheck };
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks, checkedAt: new Date().toISOString() };
  }

  private async probe(dependency: 'dynamodb' | 'redis' | 'sqs', work: () => Promise<void>): Promise<Check> {
    try {
      await withDeadline(dependency, work(), this.deps.timeoutMs);
      return 'ok';
    } catch (error) {
      logger.warn('readiness.check_failed', { dependency, error: error as Error });
      return 'unavailable';
    }
  }
}
