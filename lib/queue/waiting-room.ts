/**
 * The virtual waiting room: a strict FIFO queue per concert in front of a bounded
 * active set. Every operation is one Lua script call (one Redis round trip); the
 * scripts, their key layout and their rules are in the .lua files beside this module
 * (prelude.lua first). The waiting room knows nothing of what it sells: callers check
 * concerts (lib/use-cases) before sending anyone in.
 */
import type { RedisClient } from '../clients/redis';
import { toDependencyError, withDeadline } from '../clients/dependency-errors';
import { ConflictError, ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../errors';
import { count, logger } from '../observability';
import { scriptArgv, scriptSource, SCRIPTS, type CommonArgs, type ScriptArgs, type ScriptName } from './scripts';
import { cachedQueueKeys, formatQueueToken, newEntryId, newTokenId, parseQueueToken, queueKeys } from './keys';
import { LRUCache } from 'lru-cache';
import { estimateWait, waitMsPerPlace, type WaitEstimate } from './estimates';
import { drawOf } from './lottery';
import {
  decodeConfigure,
  decodeDraw,
  decodeEnter,
  decodeExtend,
  decodeFigures,
  decodeFinish,
  decodeSchedule,
  decodeStatus,
  decodeStock,
  decodeTick,
  type EndReason,
  type QueuePhase,
  type TokenStatus,
} from './replies';

export type { EndReason, QueuePhase } from './replies';

export interface QueueSettings {
  maxActive: number;
  admissionsPerSecond: number;
  activeSessionSeconds: number;
  abandonAfterSeconds: number;
  /** The ETA's prior: how long an admitted user is expected to stay (seconds). */
  expectedSessionSeconds: number;
}

/** The sale's schedule as the queue needs it (from the catalog). */
export interface QueueSchedule {
  opensAtMs: number;
  /** 0 = no end. */
  closesAtMs: number;
  /** Bumped by every operator change; an older copy never overwrites a newer one. */
  version: number;
  totalSeats: number;
}

export type TicketView =
  | {
      status: 'WAITING';
      position: number;
      etaSeconds: number | null;
      /** An 80% interval around etaSeconds. */
      etaRange: { low: number; high: number } | null;
      /** Seats free now (held seats may come back); null when not known. */
      seatsAvailable: number | null;
      pollAfterMs: number;
      activeUntil: null;
      entryId: string;
    }
  | { status: 'PRE_QUEUE'; position: null; etaSeconds: null; opensAt: string; pollAfterMs: number; activeUntil: null; entryId: string }
  | { status: 'ACTIVE'; position: 0; etaSeconds: 0; pollAfterMs: number; activeUntil: string; entryId: string }
  | { status: 'SOLD_OUT' | 'CLOSED'; position: null; etaSeconds: null; pollAfterMs: null; activeUntil: null }
  | { status: 'EXPIRED'; position: null; etaSeconds: null; pollAfterMs: null; activeUntil: null; reason: EndReason };

/** The published record of the pre-queue lottery, a page at a time. */
export interface DrawPage {
  openedAt: number | null;
  preQueued: number;
  entries: string[];
  next: number | null;
}

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
  phase: QueuePhase;
  preQueued: number;
  openedAt: string | null;
  seatsAvailable: number | null;
  seatsSold: number;
  seatsHeld: number;
  /** Polls refused with 429 RATE_LIMITED (polled sooner than half of pollAfterMs). */
  pollsLimited: number;
  /** Sessions ended so far and their mean length (s), as measured. */
  sessionsEnded: number;
  meanSessionSeconds: number | null;
  settings: QueueSettings;
}

export interface WaitingRoomOptions {
  /** Settings of concerts that have not overridden them. */
  defaults: QueueSettings;
  /** How long an ended token still answers EXPIRED. */
  endedRetentionMs: number;
  /** A call with no answer in this time is an outage (answered 503). */
  timeoutMs: number;
  /**
   * A token polled sooner than this share of the pollAfterMs it was last told gets 429
   * RATE_LIMITED (QUEUE_POLL_MIN_FRACTION, 0.5); 0 turns the limit off.
   */
  pollMinFraction?: number;
}

type ScriptClient = RedisClient & Record<string, (...args: (string | number)[]) => Promise<unknown>>;

const ACTIVE_POLL_MS = 30_000;
const commandName = (name: ScriptName) => `waitingRoom_${name}`;

export class WaitingRoom {
  private readonly client: ScriptClient;
  private readonly common: CommonArgs;
  /**
   * Per concert, the expected wait per place of this container's latest estimate: the
   * poll schedule's hint for the next script run (the script decides pollAfterMs so the
   * poll limit is stored in the same round trip; the estimate is made here from its reply).
   */
  private readonly waitPerPlace = new LRUCache<string, number>({ max: 1_000 });

  constructor(
    client: RedisClient,
    private readonly options: WaitingRoomOptions,
  ) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const command = commandName(name);
      if (!(command in client)) client.defineCommand(command, { numberOfKeys: queueKeys('x').length, lua: scriptSource(name) });
    }
    this.client = client as ScriptClient;
    const d = options.defaults;
    this.common = {
      maxActive: d.maxActive,
      admitPerSec: d.admissionsPerSecond,
      activeMs: d.activeSessionSeconds * 1000,
      abandonMs: d.abandonAfterSeconds * 1000,
      endedRetentionMs: options.endedRetentionMs,
      expectedMs: d.expectedSessionSeconds * 1000,
    };
  }

  /**
   * Takes a place in the queue (or returns the caller's existing place): in the
   * pre-queue before the opening (its place in the lottery is HMAC(seed, entryId)), FIFO
   * after it. 409 SOLD_OUT / SALES_CLOSED when the sale has ended.
   */
  async enter(concertId: string, userId: string, sale?: QueueSchedule & { seedHex: string }) {
    const freshEntryId = newEntryId();
    const reply = decodeEnter(
      await this.run('enter', concertId, {
        userId,
        freshTokenId: newTokenId(),
        freshEntryId,
        freshDraw: sale ? drawOf(sale.seedHex, freshEntryId) : '',
        ...(sale ? scheduleArgs(sale) : NO_SCHEDULE),
        ...this.pollArgs(concertId),
      }),
    );
    if (reply.status.status === 'SOLD_OUT' || reply.status.status === 'CLOSED') throw saleEnded(reply.status.status);
    const told = this.view(concertId, reply.status);
    return { created: reply.created, token: formatQueueToken(concertId, reply.tokenId), concertId, ...told };
  }

  /** The poll: where the token stands. Throws for unknown or foreign tokens. */
  async status(token: string | undefined, userId: string): Promise<TicketView & { concertId: string }> {
    const parsed = requireToken(token);
    const st = decodeStatus(await this.run('status', parsed.concertId, { tokenId: parsed.tokenId, userId, limit: 1, ...this.pollArgs(parsed.concertId) }));
    if (st.status === 'RATE_LIMITED') {
      const retryAfter = Math.max(1, Math.ceil(st.retryAfterMs / 1000));
      throw new TooManyRequestsError('RATE_LIMITED', `Polled too soon: poll again as pollAfterMs said (in ${retryAfter} s). Your place is kept.`, retryAfter, {
        retryAfterMs: st.retryAfterMs,
      });
    }
    return { concertId: parsed.concertId, ...this.view(parsed.concertId, st) };
  }

  /** The poll schedule's arguments of a script run for `concertId` (tell_poll() in prelude.lua). */
  private pollArgs(concertId: string) {
    return { pollRandom: Math.random(), waitMsPerPlace: this.waitPerPlace.get(concertId) ?? 0, pollMinFraction: this.options.pollMinFraction ?? 0.5 };
  }

  /** What the caller is told, remembering the estimate's wait per place as the next runs' hint. */
  private view(concertId: string, st: TokenStatus): TicketView {
    const estimate = st.status === 'WAITING' ? estimateWait(st.position, st, st.seatsAvailable) : null;
    if (st.status === 'WAITING' && estimate) this.waitPerPlace.set(concertId, waitMsPerPlace(st.position, estimate));
    return view(st, estimate);
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
    const st = decodeStatus(await this.run('status', parsed.concertId, { tokenId: parsed.tokenId, userId, limit: 0, ...this.pollArgs(parsed.concertId) }));
    if (st.status === 'RATE_LIMITED') throw new Error('the booking gate is never poll-limited');
    const v = this.view(parsed.concertId, st);
    if (v.status === 'WAITING') {
      throw new ForbiddenError('QUEUE_TOKEN_NOT_ACTIVE', `You are still waiting (position ${v.position}); booking opens when your token is ACTIVE.`, {
        position: v.position,
        etaSeconds: v.etaSeconds,
      });
    }
    if (v.status === 'PRE_QUEUE') {
      throw new ForbiddenError('QUEUE_TOKEN_NOT_ACTIVE', `The sale opens at ${v.opensAt}; your place is drawn then.`, { opensAt: v.opensAt });
    }
    if (v.status === 'SOLD_OUT' || v.status === 'CLOSED') throw saleEnded(v.status);
    if (v.status === 'EXPIRED') {
      throw new UnauthorizedError('QUEUE_TOKEN_EXPIRED', `This queue token has ended (${v.reason}); enter the queue again.`, { reason: v.reason });
    }
    if (v.status !== 'ACTIVE') throw new Error(`unexpected queue status ${v.status}`);
    return { activeUntilMs: Date.parse(v.activeUntil) };
  }

  /** Leaves the queue or gives up the active slot; the slot is refilled at once. */
  async leave(token: string | undefined, userId: string): Promise<{ ended: boolean }> {
    const parsed = requireToken(token);
    const { outcome } = decodeFinish(await this.run('finish', parsed.concertId, { tokenId: parsed.tokenId, userId, reason: 'LEFT' }));
    if (outcome === 'UNKNOWN' || outcome === 'FOREIGN') throw tokenRefused(outcome);
    return { ended: outcome === 'ENDED' };
  }

  /** Ends a token after its purchase; the slot is refilled at once. */
  async finish(token: string, userId: string, reason: EndReason): Promise<void> {
    const parsed = requireToken(token);
    await this.run('finish', parsed.concertId, { tokenId: parsed.tokenId, userId, reason });
  }

  /**
   * Keeps an active session alive at least until `untilMs` (a hold's expiry), but never
   * past admission + session length + `maxExtraMs`; never shortens, never revives.
   * Returns the session's end (ms), or 0 when it is not active.
   */
  async extend(token: string, untilMs: number, maxExtraMs: number): Promise<number> {
    const parsed = requireToken(token);
    return decodeExtend(await this.run('extend', parsed.concertId, { tokenId: parsed.tokenId, untilMs, maxExtraMs }));
  }

  /** One admission run for a concert (the scheduled function calls this about every 250 ms). */
  async admit(concertId: string, schedule?: QueueSchedule) {
    return decodeTick(await this.run('tick', concertId, schedule ? scheduleArgs(schedule) : NO_SCHEDULE));
  }

  /** Stores the sale's schedule (creation, an operator's change) and moves the lifecycle on. */
  async schedule(concertId: string, schedule: QueueSchedule): Promise<QueuePhase> {
    return decodeSchedule(await this.run('schedule', concertId, scheduleArgs(schedule)));
  }

  /**
   * The availability figure (seats free now, sold; SOLD_OUT when every seat is paid),
   * kept after each committed change in DynamoDB; idempotent. See stock.lua.
   */
  async seatHeld(concertId: string, date: string, seatNo: number, untilMs: number) {
    return decodeStock(await this.run('stock', concertId, { op: 'hold', seat: `${date}#${seatNo}`, untilMs, payload: '' }));
  }

  async seatFreed(concertId: string, date: string, seatNo: number) {
    return decodeStock(await this.run('stock', concertId, { op: 'free', seat: `${date}#${seatNo}`, untilMs: 0, payload: '' }));
  }

  async seatSold(concertId: string, date: string, seatNo: number) {
    return decodeStock(await this.run('stock', concertId, { op: 'sold', seat: `${date}#${seatNo}`, untilMs: 0, payload: '' }));
  }

  /** Replaces the availability figure with what DynamoDB says (the sweep). */
  async reconcileStock(concertId: string, stock: { total: number; held: { date: string; seatNo: number; untilMs: number }[]; sold: { date: string; seatNo: number }[] }) {
    const payload = JSON.stringify({
      total: stock.total,
      held: Object.fromEntries(stock.held.map((h) => [`${h.date}#${h.seatNo}`, h.untilMs])),
      sold: stock.sold.map((s) => `${s.date}#${s.seatNo}`),
    });
    // cjson decodes an empty object as an empty table either way; an empty array needs care.
    return decodeStock(await this.run('stock', concertId, { op: 'reconcile', seat: '', untilMs: 0, payload: payload.replace('"sold":[]', '"sold":{}') }));
  }

  /** A page of the pre-queue lottery's drawn order (entryIds), from `offset`. */
  async drawPage(concertId: string, offset: number, limit: number): Promise<DrawPage> {
    return decodeDraw(await this.run('draw', concertId, { offset, limit }));
  }

  async figures(concertId: string): Promise<QueueFigures> {
    const f = decodeFigures(await this.run('figures', concertId, {}));
    return {
      concertId,
      waiting: f.waiting,
      active: f.active,
      admittedLastMinute: f.admittedLastMinute,
      admittedTotal: f.admittedTotal,
      admissionRatePerSecond: Math.round((f.admittedLastMinute / 60) * 1000) / 1000,
      slotReleaseRatePerSecond: Math.round(f.rateMilli) / 1000,
      ticketsIssued: f.issued,
      phase: f.phase,
      preQueued: f.preQueued,
      openedAt: f.openedAt ? new Date(f.openedAt).toISOString() : null,
      seatsAvailable: f.seatsAvailable,
      seatsSold: f.seatsSold,
      seatsHeld: f.seatsHeld,
      pollsLimited: f.pollsLimited,
      sessionsEnded: f.sessionsEnded,
      meanSessionSeconds: f.sessionsEnded > 0 ? Math.round(f.sessionMsTotal / f.sessionsEnded / 100) / 10 : null,
      settings: {
        maxActive: f.maxActive,
        admissionsPerSecond: f.admitPerSec,
        activeSessionSeconds: Math.round(f.activeMs / 1000),
        abandonAfterSeconds: Math.round(f.abandonMs / 1000),
        expectedSessionSeconds: Math.round(f.expectedMs / 1000),
      },
    };
  }

  /** Changes a concert's settings while its queue runs; opened slots are filled at once. */
  async configure(concertId: string, changes: Partial<QueueSettings>): Promise<QueueFigures> {
    const set = (v: number | undefined, scale = 1) => (v === undefined ? '' : v * scale);
    decodeConfigure(
      await this.run('configure', concertId, {
        setMaxActive: set(changes.maxActive),
        setAdmitPerSec: set(changes.admissionsPerSecond),
        setActiveMs: set(changes.activeSessionSeconds, 1000),
        setAbandonMs: set(changes.abandonAfterSeconds, 1000),
        setExpectedMs: set(changes.expectedSessionSeconds, 1000),
      }),
    );
    return this.figures(concertId);
  }

  private async run<S extends ScriptName>(name: S, concertId: string, args: ScriptArgs<S>): Promise<unknown> {
    try {
      return await withDeadline('redis', this.client[commandName(name)]!(...cachedQueueKeys(concertId), ...scriptArgv(name, this.common, args)), this.options.timeoutMs + 250);
    } catch (err) {
      throw toDependencyError('redis', err);
    }
  }
}

const NO_SCHEDULE = { opensAtMs: '', closesAtMs: '', schedVer: '', totalSeats: '' };

const scheduleArgs = (s: QueueSchedule) => ({ opensAtMs: s.opensAtMs, closesAtMs: s.closesAtMs, schedVer: s.version, totalSeats: s.totalSeats });

/** What a caller is told about a token; unknown and foreign tokens are errors. */
function view(st: TokenStatus, estimate: WaitEstimate | null): TicketView {
  switch (st.status) {
    case 'ACTIVE':
      return { status: 'ACTIVE', position: 0, etaSeconds: 0, pollAfterMs: ACTIVE_POLL_MS, activeUntil: new Date(st.activeUntil).toISOString(), entryId: st.entryId };
    case 'WAITING': {
      return {
        status: 'WAITING',
        position: st.position,
        etaSeconds: estimate?.etaSeconds ?? null,
        etaRange: estimate?.etaRange ?? null,
        seatsAvailable: st.seatsAvailable,
        pollAfterMs: st.pollAfterMs,
        activeUntil: null,
        entryId: st.entryId,
      };
    }
    case 'PRE_QUEUE':
      return {
        status: 'PRE_QUEUE',
        position: null,
        etaSeconds: null,
        opensAt: new Date(st.opensAt).toISOString(),
        pollAfterMs: st.pollAfterMs,
        activeUntil: null,
        entryId: st.entryId,
      };
    case 'SOLD_OUT':
    case 'CLOSED':
      return { status: st.status, position: null, etaSeconds: null, pollAfterMs: null, activeUntil: null };
    case 'EXPIRED':
      return { status: 'EXPIRED', position: null, etaSeconds: null, pollAfterMs: null, activeUntil: null, reason: st.reason };
    case 'UNKNOWN':
    case 'FOREIGN':
      throw tokenRefused(st.status);
  }
}

export function saleEnded(status: 'SOLD_OUT' | 'CLOSED') {
  return status === 'SOLD_OUT'
    ? new ConflictError('SOLD_OUT', 'Every seat of this concert is sold.')
    : new ConflictError('SALES_CLOSED', 'The sale of this concert has closed.');
}

function tokenRefused(status: 'UNKNOWN' | 'FOREIGN') {
  return status === 'UNKNOWN'
    ? new UnauthorizedError('QUEUE_TOKEN_UNKNOWN', 'The queue does not know this token (too old, or lost when Redis failed over); enter the queue again.')
    : new ForbiddenError('QUEUE_TOKEN_FOREIGN', 'This queue token belongs to another user.');
}

function requireToken(token: string | undefined) {
  if (!token) throw new UnauthorizedError('QUEUE_TOKEN_MISSING', 'Send your queue token in the X-Queue-Token header.');
  const parsed = parseQueueToken(token);
  if (!parsed) throw new UnauthorizedError('QUEUE_TOKEN_INVALID', 'The X-Queue-Token header does not hold a valid queue token.');
  return parsed;
}
