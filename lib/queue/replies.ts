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

/** Where a token stands (token_status in prelude.lua). */
export type TokenStatus =
  | { status: 'ACTIVE'; seq: number; activeUntil: number }
  | {
      status: 'WAITING';
      seq: number;
      position: number;
      /** Slots freed per second lately, in thousandths. */
      rateMilli: number;
      maxActive: number;
      activeMs: number;
      admitPerSec: number;
      abandonMs: number;
    }
  | { status: 'EXPIRED'; reason: EndReason }
  | { status: 'UNKNOWN' }
  | { status: 'FOREIGN' };

export function decodeTokenStatus(f: Fields): TokenStatus {
  switch (f.status) {
    case 'ACTIVE':
      return { status: 'ACTIVE', seq: num(f, 'seq'), activeUntil: num(f, 'activeUntil') };
    case 'WAITING':
      return {
        status: 'WAITING',
        seq: num(f, 'seq'),
        position: num(f, 'position'),
        rateMilli: num(f, 'rateMilli'),
        maxActive: num(f, 'maxActive'),
        activeMs: num(f, 'activeMs'),
        admitPerSec: num(f, 'admitPerSec'),
        abandonMs: num(f, 'abandonMs'),
      };
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

export const decodeStatus = (reply: unknown) => decodeTokenStatus(fieldsOf(reply));

export type FinishOutcome = 'ENDED' | 'ALREADY_ENDED' | 'UNKNOWN' | 'FOREIGN';

export const decodeFinish = (reply: unknown) => {
  const f = fieldsOf(reply);
  return { outcome: String(f.outcome) as FinishOutcome, admitted: num(f, 'admitted') };
};

export const decodeExtend = (reply: unknown) => num(fieldsOf(reply), 'activeUntil');

export const decodeTick = (reply: unknown) => {
  const f = fieldsOf(reply);
  return { admitted: num(f, 'admitted'), abandoned: num(f, 'abandoned'), waiting: num(f, 'waiting'), active: num(f, 'active') };
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
    issued: num(f, 'issued'),
  };
};

export const decodeConfigure = (reply: unknown) => num(fieldsOf(reply), 'admitted');
