/**
 * Abuse limits kept in Redis, per user (lib/limits/take.lua does one check in one round
 * trip):
 *
 *   holds + releases   RATE_LIMIT_HOLDS_PER_MINUTE (20) per user, one bucket for both
 *   top-ups            RATE_LIMIT_TOPUPS_PER_MINUTE (10) per user
 *   queue cycles       RATE_LIMIT_QUEUE_CYCLES_PER_MINUTE (5) leaves per user and concert
 *                      (entering again while in the queue returns the same place, so
 *                      this caps enter/leave churn and the ended tokens it leaves behind)
 *   status polls       not here: kept inside the poll's own script (lib/queue/status.lua)
 *   unpaid holds       a user whose holds in a concert expired unpaid UNPAID_HOLDS_LIMIT (3)
 *                      times within UNPAID_HOLDS_WINDOW_SECONDS may not hold there again
 *                      until that window has passed since the last such expiry
 *
 * Over a limit: 429 RATE_LIMITED / TOO_MANY_UNPAID_HOLDS with Retry-After, nothing done.
 * Keys (all of one user share the hash tag {lim:<userId>}, so the script runs on Cluster):
 *
 *   lim:{lim:<userId>}:holds | :topups      GCRA bucket, expires when full again
 *   lim:{lim:<userId>}:cycles:<concertId>   GCRA bucket of queue leaves in that concert
 *   lim:{lim:<userId>}:unpaid:<concertId>   count, expires UNPAID_HOLDS_WINDOW after the last expiry
 *   lim:{limc:<concertId>}:limited          hash of refusals per kind (admin figures), 7 days
 *   lim:{limc:}:limited                     the same for top-ups (no concert)
 *
 * The limits protect capacity, not correctness (that is DynamoDB's conditions), so when
 * Redis does not answer a check lets the request through, logged and counted.
 */
import '../queue/lua-loader';
import { toDependencyError, withDeadline } from '../clients/dependency-errors';
import type { RedisClient } from '../clients/redis';
import { TooManyRequestsError } from '../errors';
import { count, logger } from '../observability';
import takeScript from './take.lua';

export const LIMIT_SCRIPT = takeScript;

export interface LimitSettings {
  holdsPerMinute: number;
  topupsPerMinute: number;
  queueCyclesPerMinute: number;
  unpaidHoldsLimit: number;
  unpaidHoldsWindowSeconds: number;
  timeoutMs: number;
}

/** Refusals per concert, as the admin queue figures show them. */
export interface LimitedFigures {
  /** Holds and releases refused with 429 RATE_LIMITED. */
  rateLimited: number;
  /** Holds refused with 429 TOO_MANY_UNPAID_HOLDS. */
  tooManyUnpaidHolds: number;
  /** Queue leaves refused with 429 RATE_LIMITED (enter/leave churn). */
  queueChurn: number;
}

const WINDOW_MS = 60_000;
const FIGURES_TTL_SECONDS = 7 * 24 * 3600;

type Kind = 'holds' | 'topups' | 'cycles';
const userKey = (userId: string, name: string) => `lim:{lim:${userId}}:${name}`;
const limitedKey = (concertId: string | undefined) => `lim:{limc:${concertId ?? ''}}:limited`;

type TakeReply = [0, 0] | [1, number] | [2, number, number];

interface WithTake {
  limitTake(numKeys: number, ...args: (string | number)[]): Promise<TakeReply>;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class Limits {
  constructor(
    private readonly redis: RedisClient,
    private readonly settings: LimitSettings,
  ) {
    if (!(redis as unknown as Partial<WithTake>).limitTake) redis.defineCommand('limitTake', { lua: takeScript });
  }

  /** Before a hold in `concertId`: the unpaid-holds block, then the holds+releases bucket. */
  async beforeHold(userId: string, concertId: string): Promise<void> {
    const { holdsPerMinute, unpaidHoldsLimit } = this.settings;
    const reply = await this.take(2, userKey(userId, 'holds'), userKey(userId, `unpaid:${concertId}`), holdsPerMinute, WINDOW_MS, unpaidHoldsLimit);
    if (!reply || reply[0] === 0) return;
    if (reply[0] === 2) {
      this.refused(concertId, 'tooManyUnpaidHolds');
      const retryAfter = seconds(reply[2] > 0 ? reply[2] : this.settings.unpaidHoldsWindowSeconds * 1000);
      throw new TooManyRequestsError(
        'TOO_MANY_UNPAID_HOLDS',
        `${reply[1]} of your holds for this concert expired without payment; you can hold seats here again in ${retryAfter} s.`,
        retryAfter,
        { unpaidHolds: reply[1], limit: unpaidHoldsLimit },
      );
    }
    this.refused(concertId, 'rateLimited');
    throw this.rateLimited('holds', reply[1]);
  }

  /**
   * Before giving a hold back: the same bucket as holds. A refusal counts for the hold's
   * concert, which `concertOf` looks up only then (a release names no concert; a
   * lookup that fails counts it with the requests that name none).
   */
  async beforeRelease(userId: string, concertOf?: () => Promise<string | undefined>): Promise<void> {
    const reply = await this.take(1, userKey(userId, 'holds'), this.settings.holdsPerMinute, WINDOW_MS);
    if (!reply || reply[0] === 0) return;
    this.refused(await concertOf?.().catch(() => undefined), 'rateLimited');
    throw this.rateLimited('holds', reply[1]);
  }

  /** Before leaving `concertId`'s queue: the enter/leave cycles bucket of that user and concert. */
  async beforeLeave(userId: string, concertId: string): Promise<void> {
    const reply = await this.take(1, userKey(userId, `cycles:${concertId}`), this.settings.queueCyclesPerMinute, WINDOW_MS);
    if (!reply || reply[0] === 0) return;
    this.refused(concertId, 'queueChurn');
    throw this.rateLimited('cycles', reply[1]);
  }

  async beforeTopUp(userId: string): Promise<void> {
    const reply = await this.take(1, userKey(userId, 'topups'), this.settings.topupsPerMinute, WINDOW_MS);
    if (!reply || reply[0] === 0) return;
    this.refused(undefined, 'rateLimited');
    throw this.rateLimited('topups', reply[1]);
  }

  /**
   * A hold of `userId` in `concertId` expired unpaid (called once per hold, after the
   * release committed). Best effort: a Redis failure loses one count, logged.
   */
  async holdExpiredUnpaid(userId: string, concertId: string): Promise<void> {
    const key = userKey(userId, `unpaid:${concertId}`);
    try {
      await this.withDeadline(this.redis.multi().incr(key).expire(key, this.settings.unpaidHoldsWindowSeconds).exec());
    } catch (err) {
      count('LimiterUnavailable');
      logger.warn('limits.unpaid_count_failed', { concertId, error: (err as Error).message });
    }
  }

  /** How many holds of `userId` in `concertId` expired unpaid within the window (support, tests). */
  async unpaidHolds(userId: string, concertId: string): Promise<number> {
    return Number((await this.redis.get(userKey(userId, `unpaid:${concertId}`))) ?? 0);
  }

  /** How many requests were refused for `concertId` (releases count for their hold's concert), and top-ups, which name none. */
  async figures(concertId: string): Promise<LimitedFigures & { withoutConcert: LimitedFigures }> {
    const read = async (key: string): Promise<LimitedFigures> => {
      const h = await this.redis.hgetall(key);
      return { rateLimited: Number(h.rateLimited ?? 0), tooManyUnpaidHolds: Number(h.tooManyUnpaidHolds ?? 0), queueChurn: Number(h.queueChurn ?? 0) };
    };
    try {
      const [own, withoutConcert] = await this.withDeadline(Promise.all([read(limitedKey(concertId)), read(limitedKey(undefined))]));
      return { ...own, withoutConcert };
    } catch (err) {
      throw toDependencyError('redis', err);
    }
  }

  private rateLimited(kind: Kind, retryAfterMs: number): TooManyRequestsError {
    const limit = { holds: this.settings.holdsPerMinute, topups: this.settings.topupsPerMinute, cycles: this.settings.queueCyclesPerMinute }[kind];
    const what = { holds: 'holds and releases', topups: 'top-ups', cycles: 'times leaving this queue' }[kind];
    const retryAfter = seconds(retryAfterMs);
    count('RateLimited');
    return new TooManyRequestsError('RATE_LIMITED', `At most ${limit} ${what} per minute; retry in ${retryAfter} s.`, retryAfter, { limit, per: 'minute' });
  }

  /** Counts a refusal for the admin figures, without making the caller wait for it. */
  private refused(concertId: string | undefined, field: keyof LimitedFigures): void {
    const key = limitedKey(concertId);
    this.redis
      .multi()
      .hincrby(key, field, 1)
      .expire(key, FIGURES_TTL_SECONDS)
      .exec()
      .catch((err: Error) => logger.warn('limits.figure_failed', { error: err.message }));
  }

  private async take(numKeys: number, ...args: (string | number)[]): Promise<TakeReply | undefined> {
    try {
      return await this.withDeadline((this.redis as unknown as WithTake).limitTake(numKeys, ...args));
    } catch (err) {
      count('LimiterUnavailable');
      logger.warn('limits.unavailable', { error: (err as Error).message });
      return undefined;
    }
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    return withDeadline('redis', work, this.settings.timeoutMs);
  }
}
