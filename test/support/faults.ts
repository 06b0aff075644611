/**
 * Fault injection for tests and the benchmark (never shipped: it lives under test/ and
 * is switched on by the test that installs it). DynamoDB Local, the SQS emulator and a
 * local Redis are kinder than AWS; this layer makes them behave as AWS does at a chosen
 * rate, with a seeded random source so a failing run can be repeated:
 *
 *  DynamoDB (SDK v3 middleware inside the SDK's retry loop, so the SDK and the product
 *  see exactly what AWS would send them):
 *   - conflict:  TransactWriteItems cancelled with TransactionConflict (another
 *                transaction touched an item); never sent to the service.
 *   - throttle:  ThrottlingException / ProvisionedThroughputExceededException before the
 *                request reaches the service (the SDK backs off and retries).
 *   - lostReply: the request reached DynamoDB and was applied, then the caller hears a
 *                TimeoutError: the ambiguous outcome. The SDK retries with the same
 *                ClientRequestToken, so a retried transaction must not apply twice.
 *   - unprocessed: BatchWriteItem writes only part of its items and returns the rest as
 *                UnprocessedItems, as DynamoDB does when a partition is throttled (the
 *                SDK does not retry them: the caller must).
 *   Faults never hit a call's last SDK attempt unless `exhaust` says so, so any 503 a
 *   caller sees without exhaustion is a product bug; with `exhaust` every attempt of an
 *   unlucky call fails and the 503 must leave exactly one effect or none.
 *  SQS (SendMessage):
 *   - lostReply: the message is sent, the reply is lost, the SDK sends it again: the
 *                queue holds a duplicate (as real SQS producers cause).
 *  Redis (ioredis commands):
 *   - redisLostReply: the command ran on Redis, the caller sees "Command timed out".
 *
 * Deliveries of SQS messages (duplicates, reordering, failed batch items, Lambda
 * retries) are made by test/support/release-poller.ts, which plays Lambda's poller.
 */
import type { App } from '../../lib/app';

export interface FaultRates {
  conflict?: number;
  throttle?: number;
  lostReply?: number;
  /** Share of BatchWriteItem calls that write only the first half of their items (the rest come back unprocessed). */
  unprocessed?: number;
  /** Share of faulted DynamoDB calls whose every attempt fails (the caller gets 503). */
  exhaust?: number;
  sqsLostReply?: number;
  redisLostReply?: number;
}

export type FaultKind = 'conflict' | 'throttle' | 'lostReply' | 'unprocessed' | 'exhausted' | 'sqsLostReply' | 'redisLostReply';

/** mulberry32: a tiny seeded PRNG, so a run's faults can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WRITES = new Set(['TransactWriteItemsCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
/** transact() in lib/clients/transactions.ts retries a conflicted transaction 5 times. */
const APP_CONFLICT_RETRIES = 5;

function attemptOf(request: { headers?: Record<string, string> }): { attempt: number; max: number } {
  const m = /attempt=(\d+); max=(\d+)/.exec(request.headers?.['amz-sdk-request'] ?? '');
  return m ? { attempt: Number(m[1]), max: Number(m[2]) } : { attempt: 1, max: 1 };
}

function awsError(name: string, message: string, status: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

export class Faults {
  readonly injected: Record<FaultKind, number> = { conflict: 0, throttle: 0, lostReply: 0, unprocessed: 0, exhausted: 0, sqsLostReply: 0, redisLostReply: 0 };
  private random: () => number;
  private on = false;
  /** Consecutive conflicts injected per transaction body, so the product's own retries can win. */
  private readonly conflictsOf = new Map<string, number>();
  /** Calls (by ClientRequestToken or request body) chosen to fail on every attempt. */
  private readonly doomed = new Set<string>();

  constructor(
    private rates: FaultRates,
    readonly seed = Math.floor(Math.random() * 2 ** 31),
  ) {
    this.random = seeded(seed);
  }

  get total(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  enable(rates?: FaultRates): void {
    if (rates) this.rates = rates;
    this.on = true;
  }

  disable(): void {
    this.on = false;
  }

  private roll(rate: number | undefined): boolean {
    return this.on && !!rate && this.random() < rate;
  }

  /** Installs the layer on an app's DynamoDB, SQS and Redis clients. */
  install(app: App): this {
    this.installDynamo(app);
    this.installSqs(app);
    this.installRedis(app);
    return this;
  }

  private installDynamo(app: App): void {
    // Unprocessed items, on the document client (its input and output are plain values).
    app.clients.dynamo.doc.middlewareStack.add(
      (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
        if (!/^BatchWrite(Item)?Command$/.test(context.commandName ?? '') || !this.roll(this.rates.unprocessed)) return next(args);
        const kept: Record<string, unknown[]> = {};
        const left: Record<string, unknown[]> = {};
        for (const [table, requests] of Object.entries(args.input.RequestItems as Record<string, unknown[]>)) {
          const half = Math.ceil(requests.length / 2);
          kept[table] = requests.slice(0, half);
          if (requests.length > half) left[table] = requests.slice(half);
        }
        if (Object.keys(left).length === 0) return next(args);
        this.injected.unprocessed++;
        const out = await next({ ...args, input: { ...args.input, RequestItems: kept } });
        return { ...out, output: { ...out.output, UnprocessedItems: left } };
      },
      { step: 'initialize', name: 'injectUnprocessed' },
    );
    app.clients.dynamo.client.middlewareStack.add(
      (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
        if (!this.on) return next(args);
        const command = context.commandName ?? '';
        const { attempt, max } = attemptOf(args.request);
        const raw = args.request?.body ?? '';
        const body = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
        const key = `${command}:${body}`;
        const last = attempt >= max;
        const write = WRITES.has(command);

        // A doomed call fails on every attempt: a write as a lost reply or a throttle
        // (applied or not: the caller cannot tell), a read as a throttle.
        if (attempt === 1 && this.roll(this.rates.exhaust)) this.doomed.add(key);
        if (this.doomed.has(key)) {
          if (last) {
            this.doomed.delete(key);
            this.injected.exhausted++;
          }
          return write && this.random() < 0.5 ? this.loseReply(next, args) : this.throttle();
        }
        if (last) return next(args);

        if (command === 'TransactWriteItemsCommand' && attempt === 1 && this.roll(this.rates.conflict)) {
          const tx = body.replace(/"ClientRequestToken":"[^"]*"/, '');
          const n = this.conflictsOf.get(tx) ?? 0;
          if (n < APP_CONFLICT_RETRIES) {
            this.conflictsOf.set(tx, n + 1);
            this.injected.conflict++;
            const items = JSON.parse(body).TransactItems?.length ?? 1;
            // As AWS answers: the contended item says TransactionConflict, the others None.
            const reasons = Array.from({ length: items }, (_, i) => (i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' }));
            throw awsError('TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]', 400, {
              CancellationReasons: reasons,
            });
          }
        }
        if (this.roll(this.rates.throttle)) return this.throttle();
        if (write && this.roll(this.rates.lostReply)) return this.loseReply(next, args);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
    );
  }

  private throttle(): never {
    this.injected.throttle++;
    throw this.random() < 0.5
      ? awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400)
      : awsError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.', 400);
  }

  /** Sends the request (DynamoDB applies it), then fails as if the reply never came. */
  private async loseReply(next: (a: any) => Promise<any>, args: any): Promise<never> {
    await next(args);
    this.injected.lostReply++;
    throw awsError('TimeoutError', 'Connection timed out after the request was sent (injected).', 0);
  }

  private installSqs(app: App): void {
    app.clients.sqs.client.middlewareStack.add(
      (next: (a: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
        const { attempt, max } = attemptOf(args.request);
        if (context.commandName !== 'SendMessageCommand' || attempt >= max || !this.roll(this.rates.sqsLostReply)) return next(args);
        await next(args);
        this.injected.sqsLostReply++;
        throw awsError('TimeoutError', 'Connection timed out after the message was sent (injected).', 0);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
    );
  }

  private installRedis(app: App): void {
    const redis = app.clients.redis as unknown as { sendCommand: (command: any, stream?: any) => unknown };
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = (command: any, stream?: any) => {
      const sent = original(command, stream);
      if (!this.roll(this.rates.redisLostReply) || !command?.promise) return sent;
      this.injected.redisLostReply++;
      // The command runs on Redis; its caller is told it timed out, as ioredis's commandTimeout would.
      command.promise.catch(() => undefined);
      const lost = new Promise((_, reject) => setTimeout(() => reject(new Error('Command timed out (injected)')), 5));
      lost.catch(() => undefined); // ioredis itself ignores the answers of some commands it sends
      command.promise = lost;
      return lost;
    };
  }
}
