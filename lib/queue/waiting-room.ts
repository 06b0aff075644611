/**
 * The virtual waiting room: a strict FIFO queue per concert in front of a bounded
 * active set. Every operation is one Lua script call (one Redis round trip); the
 * scripts and their key layout are documented in scripts.ts.
 */
import type { Cluster, Redis } from 'ioredis';
import { config } from '../config';
import { toDependencyError } from '../clients/dependency-errors';
import { DependencyUnavailableError, ForbiddenError, UnauthorizedError } from '../errors';
import { CONFIGURE, ENTER, EXTEND, FIGURES, FINISH, STATUS, TICK } from './scripts';
import { formatQueueToken, newTokenId, parseQueueToken, queueKeys } from './keys';
import { estimateWait, pollAfterMs } from './estimates';

export interface QueueSettings {
  maxActive: number;
  admissionsPerSecond: number;
  activeSessionSeconds: number;
  abandonAfterSeconds: number;
}

export type EndReason = 'SESSION_EXPIRED' | 'ABANDONED' | 'LEFT' | 'PAID' | 'LOST';

export type TicketView =
  | { status: 'WAITING'; position: number; etaSeconds: number | null; pollAfterMs: number; activeUntil: null }
  | { status: 'ACTIVE'; position: 0; etaSeconds: 0; pollAfterMs: number; activeUntil: string }
  | { status: 'EXPIRED'; position: null; etaSeconds: null; pollAfterMs: null; activeUntil: null; reason: EndReason };

export interface QueueFigures {
  concertId: string;
  waiting: number;
  active: number;
  admittedLastMinute: number;
  admittedTotal: number;
  admissionRatePerSecond: number;
  /** Active slots freed per second lately (leaves, payments, expiries): the queue's throughput. */
  slotReleaseRatePerSecond: number;
  ticketsIssued: number;
  settings: QueueSettings;
}

type ScriptName = 'wrEnter' | 'wrStatus' | 'wrFinish' | 'wrExtend' | 'wrTick' | 'wrFigures' | 'wrConfigure';
type Reply = (string | number)[];
type ScriptClient = (Redis | Cluster) & Record<ScriptName, (...args: (string | number)[]) => Promise<Reply | number>>;

const SCRIPTS: Record<ScriptName, string> = {
  wrEnter: ENTER,
  wrStatus: STATUS,
  wrFinish: FINISH,
  wrExtend: EXTEND,
  wrTick: TICK,
  wrFigures: FIGURES,
  wrConfigure: CONFIGURE,
};

const ACTIVE_POLL_MS = 30_000;

export class WaitingRoom {
  private readonly client: ScriptClient;

  constructor(
    client: Redis | Cluster,
    private readonly defaults: QueueSettings = defaultQueueSettings(),
    private readonly endedRetentionMs = config.QUEUE_ENDED_RETENTION_SECONDS * 1000,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: 10, lua });
    }
    this.client = client as ScriptClient;
  }

  /** Takes a place in the queue (or returns the caller's existing place). */
  async enter(concertId: string, userId: string) {
    const reply = (await this.run('wrEnter', concertId, userId, newTokenId())) as Reply;
    const [created, tokenId, ...status] = reply;
    return {
      created: created === 1,
      token: formatQueueToken(concertId, String(tokenId)),
      concertId,
      ...this.view(status),
    };
  }

  /** The poll: where the token stands. Throws for unknown or foreign tokens. */
  async status(token: string | undefined, userId: string): Promise<TicketView & { concertId: string }> {
    const parsed = requireToken(token);
    const reply = (await this.run('wrStatus', parsed.concertId, parsed.tokenId, userId)) as Reply;
    assertOwned(reply);
    return { concertId: parsed.concertId, ...this.view(reply) };
  }

  /**
   * The queue gate of the booking endpoints: the token must be the caller's, ACTIVE,
   * and for `concertId`. Returns the session's end (ms since epoch).
   */
  async requireActive(token: string | undefined, userId: string, concertId: string): Promise<{ activeUntilMs: number }> {
    const parsed = requireToken(token);
    if (parsed.concertId !== concertId) {
      throw new ForbiddenError('QUEUE_TOKEN_WRONG_CONCERT', `This queue token is for concert "${parsed.concertId}", not "${concertId}".`);
    }
    const reply = (await this.run('wrStatus', parsed.concertId, parsed.tokenId, userId)) as Reply;
    assertOwned(reply);
    const view = this.view(reply);
    if (view.status === 'WAITING') {
      throw new ForbiddenError('QUEUE_TOKEN_NOT_ACTIVE', `You are still waiting (position ${view.position}); booking opens when your token is ACTIVE.`, {
        position: view.position,
        etaSeconds: view.etaSeconds,
      });
    }
    if (view.status === 'EXPIRED') {
      throw new UnauthorizedError('QUEUE_TOKEN_EXPIRED', `This queue token has ended (${view.reason}); enter the queue again.`, {
        reason: view.reason,
      });
    }
    return { activeUntilMs: Date.parse(view.activeUntil) };
  }

  /** Leaves the queue or gives up the active slot; the slot is refilled at once. */
  async leave(token: string | undefined, userId: string): Promise<{ ended: boolean }> {
    const parsed = requireToken(token);
    const [outcome] = (await this.run('wrFinish', parsed.concertId, parsed.tokenId, userId, 'LEFT')) as Reply;
    assertOwned([outcome ?? 'UNKNOWN']);
    return { ended: outcome === 'ENDED' };
  }

  /** Ends a token after its purchase; the slot is refilled at once. */
  async finish(token: string, userId: string, reason: EndReason): Promise<void> {
    const parsed = requireToken(token);
    await this.run('wrFinish', parsed.concertId, parsed.tokenId, userId, reason);
  }

  /**
   * Keeps an active session alive at least until `untilMs` (a hold's expiry), but never
   * past admission + session length + `maxExtraMs`; never shortens, never revives.
   */
  async extend(token: string, untilMs: number, maxExtraMs: number): Promise<number> {
    const parsed = requireToken(token);
    return Number(await this.run('wrExtend', parsed.concertId, parsed.tokenId, untilMs, maxExtraMs));
  }

  /** One admission run for a concert (the scheduled function calls this about every 250 ms). */
  async admit(concertId: string) {
    const [admitted, abandoned, waiting, active] = ((await this.run('wrTick', concertId)) as Reply).map(Number);
    return { admitted: admitted!, abandoned: abandoned!, waiting: waiting!, active: active! };
  }

  async figures(concertId: string): Promise<QueueFigures> {
    const r = ((await this.run('wrFigures', concertId)) as Reply).map(Number);
    return {
      concertId,
      waiting: r[0]!,
      active: r[1]!,
      admittedLastMinute: r[2]!,
      admittedTotal: r[3]!,
      admissionRatePerSecond: Math.round((r[2]! / 60) * 1000) / 1000,
      slotReleaseRatePerSecond: Math.round(r[4]!) / 1000,
      ticketsIssued: r[9]!,
      settings: {
        maxActive: r[5]!,
        admissionsPerSecond: r[6]!,
        activeSessionSeconds: Math.round(r[7]! / 1000),
        abandonAfterSeconds: Math.round(r[8]! / 1000),
      },
    };
  }

  /** Changes a concert's settings while its queue runs; opened slots are filled at once. */
  async configure(concertId: string, changes: Partial<QueueSettings>): Promise<QueueFigures> {
    const fields: (string | number)[] = [];
    if (changes.maxActive !== undefined) fields.push('maxActive', changes.maxActive);
    if (changes.admissionsPerSecond !== undefined) fields.push('admitPerSec', changes.admissionsPerSecond);
    if (changes.activeSessionSeconds !== undefined) fields.push('activeMs', changes.activeSessionSeconds * 1000);
    if (changes.abandonAfterSeconds !== undefined) fields.push('abandonMs', changes.abandonAfterSeconds * 1000);
    await this.run('wrConfigure', concertId, ...fields);
    return this.figures(concertId);
  }

  private async run(name: ScriptName, concertId: string, ...args: (string | number)[]) {
    const d = this.defaults;
    let timer: NodeJS.Timeout | undefined;
    // ioredis queues commands while it reconnects (a Cluster without a reachable node does
    // so without limit): a call that has no answer in time is an outage, answered as one.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DependencyUnavailableError('redis')), config.DEPENDENCY_TIMEOUT_MS + 250);
    });
    try {
      return await Promise.race([
        this.client[name](
          ...queueKeys(concertId),
          d.maxActive,
          d.admissionsPerSecond,
          d.activeSessionSeconds * 1000,
          d.abandonAfterSeconds * 1000,
          this.endedRetentionMs,
          ...args,
        ),
        deadline,
      ]);
    } catch (err) {
      throw toDependencyError('redis', err);
    } finally {
      clearTimeout(timer);
    }
  }

  private view(reply: Reply): TicketView {
    const [status] = reply;
    if (status === 'ACTIVE') {
      return { status, position: 0, etaSeconds: 0, pollAfterMs: ACTIVE_POLL_MS, activeUntil: new Date(Number(reply[2])).toISOString() };
    }
    if (status === 'WAITING') {
      const [, , position, rateMilli, maxActive, activeMs, admitPerSec, abandonMs] = reply.map(Number) as number[];
      const etaSeconds = estimateWait({
        position: position!,
        measuredRatePerSecond: rateMilli! / 1000,
        maxActive: maxActive!,
        activeSessionSeconds: activeMs! / 1000,
        admissionsPerSecond: admitPerSec!,
      });
      return { status, position: position!, etaSeconds, pollAfterMs: pollAfterMs(position!, etaSeconds, abandonMs!), activeUntil: null };
    }
    return { status: 'EXPIRED', position: null, etaSeconds: null, pollAfterMs: null, activeUntil: null, reason: String(reply[1]) as EndReason };
  }
}

function requireToken(token: string | undefined) {
  if (!token) throw new UnauthorizedError('QUEUE_TOKEN_MISSING', 'Send your queue token in the X-Queue-Token header.');
  const parsed = parseQueueToken(token);
  if (!parsed) throw new UnauthorizedError('QUEUE_TOKEN_INVALID', 'The X-Queue-Token header does not hold a valid queue token.');
  return parsed;
}

function assertOwned(reply: Reply) {
  if (reply[0] === 'UNKNOWN') throw new UnauthorizedError('QUEUE_TOKEN_INVALID', 'This queue token is unknown or too old; enter the queue again.');
  if (reply[0] === 'FOREIGN') throw new ForbiddenError('QUEUE_TOKEN_FOREIGN', 'This queue token belongs to another user.');
}

export function defaultQueueSettings(): QueueSettings {
  return {
    maxActive: config.QUEUE_MAX_ACTIVE,
    admissionsPerSecond: config.QUEUE_ADMIT_PER_SECOND,
    activeSessionSeconds: config.QUEUE_ACTIVE_SECONDS,
    abandonAfterSeconds: config.QUEUE_ABANDON_SECONDS,
  };
}
