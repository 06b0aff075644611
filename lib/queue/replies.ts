/**
 * The scripts' replies, decoded by name in one place. Every script answers with
 * reply(t) (prelude.lua): a flat list of name/value pairs.
 */

type Raw = (string | number)[];
type Fields = Record<string, string | number | undefined>;

/** The name/value pairs of a script's reply as an object. */
export function fieldsOf(reply: unknown): Fields {
  const list = reply as Raw;
  const out: Fields = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

const num = (f: Fields, name: string): number => {
  const v = f[name];
  if (v === undefined) throw new Error(`queue script reply has no "${name}"`);
  return Number(v);
};

export type EndReason = 'SESSION_EXPIRED' | 'ABANDONED' | 'LEFT' | 'PAID' | 'LOST';

/** What the ETA is computed from (eta_inputs in prelude.lua; estimates.ts). */
export interface EtaInputs {
  /** Decayed count, sum and sum of squares of recent session lengths (s). */
  sesN: number;
  sesSum: number;
  sesSq: number;
  /** Seconds the active sessions have run so far (their censored lengths). */
  actExpo: number;
  /** Sessions running now, and seats held now by an unexpired hold (their holders have booked already). */
  actN: number;
  heldN: number;
  /** Decayed counts of queue departures: admitted, dropped (left or abandoned while waiting). */
  qAdm: number;
  qDrop: number;
  maxActive: number;
  activeMs: number;
  admitPerSec: number;
  abandonMs: number;
  /** The prior session length (ms): the concert's setting or the deployment's history. */
  expectedMs: number;
  /** 1 when that prior is the concert's own (an admin's or the history's), 0 when the session length setting stands in for it. */
  priorSet: number;
  /** Slots freed per second lately, in thousandths. */
  rateMilli: number;
}

/** Where a token stands (token_status in prelude.lua). */
export type TokenStatus =
  | { status: 'ACTIVE'; seq: number; activeUntil: number; entryId: string }
  | ({
      status: 'WAITING';
      seq: number;
      position: number;
      entryId: string;
      /** Seats free now, or null when unknown. */
      seatsAvailable: number | null;
      /** Redis time of the answer (ms). */
      now: number;
      /** When to poll next (decided and remembered by the script: tell_poll() in prelude.lua). */
      pollAfterMs: number;
    } & EtaInputs)
  | { status: 'PRE_QUEUE'; entryId: string; opensAt: number; now: number; drawing: boolean; pollAfterMs: number }
  | { status: 'SOLD_OUT' | 'CLOSED'; entryId?: string }
  | { status: 'EXPIRED'; reason: EndReason }
  | { status: 'UNKNOWN' }
  | { status: 'FOREIGN' };

/** A poll's reply: where the token stands, or that it was polled too soon (status.lua). */
export type PollReply = TokenStatus | { status: 'RATE_LIMITED'; retryAfterMs: number };

const etaInputs = (f: Fields): EtaInputs => ({
  sesN: num(f, 'sesN'),
  sesSum: num(f, 'sesSum'),
  sesSq: num(f, 'sesSq'),
  actExpo: num(f, 'actExpo'),
  actN: num(f, 'actN'),
  heldN: num(f, 'heldN'),
  qAdm: num(f, 'qAdm'),
  qDrop: num(f, 'qDrop'),
  maxActive: num(f, 'maxActive'),
  activeMs: num(f, 'activeMs'),
  admitPerSec: num(f, 'admitPerSec'),
  abandonMs: num(f, 'abandonMs'),
  expectedMs: num(f, 'expectedMs'),
  priorSet: num(f, 'priorSet'),
  rateMilli: num(f, 'rateMilli'),
});

const known = (v: number) => (v < 0 ? null : v);

export function decodeTokenStatus(f: Fields): TokenStatus {
  switch (f.status) {
    case 'ACTIVE':
      return { status: 'ACTIVE', seq: num(f, 'seq'), activeUntil: num(f, 'activeUntil'), entryId: String(f.entryId ?? '') };
    case 'WAITING':
      return {
        status: 'WAITING',
        seq: num(f, 'seq'),
        position: num(f, 'position'),
        entryId: String(f.entryId ?? ''),
        seatsAvailable: known(num(f, 'seatsAvailable')),
        now: num(f, 'now'),
        pollAfterMs: num(f, 'pollAfterMs'),
        ...etaInputs(f),
      };
    case 'PRE_QUEUE':
      return {
        status: 'PRE_QUEUE',
        entryId: String(f.entryId),
        opensAt: num(f, 'opensAt'),
        now: num(f, 'now'),
        drawing: num(f, 'drawing') === 1,
        pollAfterMs: num(f, 'pollAfterMs'),
      };
    case 'SOLD_OUT':
    case 'CLOSED':
      return { status: f.status, ...(f.entryId ? { entryId: String(f.entryId) } : {}) };
    case 'EXPIRED':
      return { status: 'EXPIRED', reason: String(f.reason) as EndReason };
    case 'UNKNOWN':
    case 'FOREIGN':
      return { status: f.status };
    default:
      throw new Error(`queue script reply has an unknown status "${String(f.status)}"`);
  }
}

export const decodeEnter = (reply: unknown) => {
  const f = fieldsOf(reply);
  return { created: num(f, 'created') === 1, tokenId: String(f.tokenId), status: decodeTokenStatus(f) };
};

export function decodeStatus(reply: unknown): PollReply {
  const f = fieldsOf(reply);
  if (f.status === 'RATE_LIMITED') return { status: 'RATE_LIMITED', retryAfterMs: num(f, 'retryAfterMs') };
  return decodeTokenStatus(f);
}

export type FinishOutcome = 'ENDED' | 'ALREADY_ENDED' | 'UNKNOWN' | 'FOREIGN';

export const decodeFinish = (reply: unknown) => {
  const f = fieldsOf(reply);
  return { outcome: String(f.outcome) as FinishOutcome, admitted: num(f, 'admitted') };
};

export const decodeExtend = (reply: unknown) => num(fieldsOf(reply), 'activeUntil');

export type QueuePhase = 'PRE' | 'DRAWING' | 'OPEN' | 'SOLD_OUT' | 'CLOSED';

export const decodeTick = (reply: unknown) => {
  const f = fieldsOf(reply);
  return {
    admitted: num(f, 'admitted'),
    abandoned: num(f, 'abandoned'),
    entered: num(f, 'entered'),
    waiting: num(f, 'waiting'),
    active: num(f, 'active'),
    phase: String(f.phase) as QueuePhase,
    sessionsEnded: num(f, 'sessionsEnded'),
    sessionMsTotal: num(f, 'sessionMsTotal'),
  };
};

export const decodeSchedule = (reply: unknown) => String(fieldsOf(reply).phase) as QueuePhase;

export const decodeStock = (reply: unknown) => {
  const f = fieldsOf(reply);
  return { seatsAvailable: known(num(f, 'seatsAvailable')), seatsSold: num(f, 'seatsSold'), state: (String(f.state) || null) as 'SOLD_OUT' | 'CLOSED' | null };
};

export const decodeDraw = (reply: unknown) => {
  const f = fieldsOf(reply);
  const entries = String(f.entries ?? '');
  return {
    openedAt: num(f, 'openedAt') || null,
    preQueued: num(f, 'preQueued'),
    entries: entries === '' ? [] : entries.split(','),
    next: num(f, 'next') < 0 ? null : num(f, 'next'),
  };
};

export const decodeFigures = (reply: unknown) => {
  const f = fieldsOf(reply);
  return {
    waiting: num(f, 'waiting'),
    active: num(f, 'active'),
    admittedLastMinute: num(f, 'admittedLastMinute'),
    admittedTotal: num(f, 'admittedTotal'),
    rateMilli: num(f, 'rateMilli'),
    maxActive: num(f, 'maxActive'),
    admitPerSec: num(f, 'admitPerSec'),
    activeMs: num(f, 'activeMs'),
    abandonMs: num(f, 'abandonMs'),
    expectedMs: num(f, 'expectedMs'),
    issued: num(f, 'issued'),
    phase: String(f.phase) as QueuePhase,
    preQueued: num(f, 'preQueued'),
    openedAt: num(f, 'openedAt') || null,
    seatsAvailable: known(num(f, 'seatsAvailable')),
    seatsSold: num(f, 'seatsSold'),
    seatsHeld: num(f, 'seatsHeld'),
    sessionsEnded: num(f, 'sessionsEnded'),
    sessionMsTotal: num(f, 'sessionMsTotal'),
    pollsLimited: num(f, 'pollsLimited'),
  };
};

export const decodeConfigure = (reply: unknown) => num(fieldsOf(reply), 'admitted');
