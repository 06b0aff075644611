/**
 * The waiting room's Lua scripts (the .lua files beside this module, each with a header
 * that documents its arguments and reply). Every multi-key change of a concert's queue
 * runs as one of these scripts, so it is atomic.
 *
 * Keys and arguments are bound by name: the loader prepends
 *   local K = {seq = KEYS[1], waiting = KEYS[2], ...}          (QUEUE_KEYS, keys.ts)
 *   local A = {maxActive = ARGV[1], ..., tokenId = ARGV[6], ...} (COMMON_ARGS + the script's args)
 * to the shared prelude (prelude.lua) and the script, so no script and no caller depends
 * on a position. Replies are name/value pairs decoded in replies.ts.
 */
import './lua-loader';
import prelude from './prelude.lua';
import enter from './enter.lua';
import status from './status.lua';
import finish from './finish.lua';
import extend from './extend.lua';
import tick from './tick.lua';
import figures from './figures.lua';
import configure from './configure.lua';
import schedule from './schedule.lua';
import stock from './stock.lua';
import draw from './draw.lua';
import { QUEUE_KEYS } from './keys';
import { POLL_SCHEDULE } from './estimates';

/** Arguments every script receives first: the defaults for settings a concert has not overridden. */
export const COMMON_ARGS = ['maxActive', 'admitPerSec', 'activeMs', 'abandonMs', 'endedRetentionMs', 'expectedMs'] as const;

/** The sale's schedule, from the catalog (schedule.lua, enter.lua, tick.lua). */
export const SCHEDULE_ARGS = ['opensAtMs', 'closesAtMs', 'schedVer', 'totalSeats'] as const;

/** What the poll schedule and the poll limit need from the caller (tell_poll() in prelude.lua). */
export const POLL_ARGS = ['pollRandom', 'waitMsPerPlace', 'pollMinFraction'] as const;

export const SCRIPTS = {
  enter: { body: enter, args: ['userId', 'freshTokenId', 'freshEntryId', 'freshDraw', ...SCHEDULE_ARGS, ...POLL_ARGS] },
  status: { body: status, args: ['tokenId', 'userId', 'limit', ...POLL_ARGS] },
  finish: { body: finish, args: ['tokenId', 'userId', 'reason'] },
  extend: { body: extend, args: ['tokenId', 'untilMs', 'maxExtraMs'] },
  tick: { body: tick, args: [...SCHEDULE_ARGS] },
  figures: { body: figures, args: [] },
  configure: { body: configure, args: ['setMaxActive', 'setAdmitPerSec', 'setActiveMs', 'setAbandonMs', 'setExpectedMs'] },
  schedule: { body: schedule, args: [...SCHEDULE_ARGS] },
  stock: { body: stock, args: ['op', 'seat', 'untilMs', 'payload'] },
  draw: { body: draw, args: ['offset', 'limit'] },
} as const satisfies Record<string, { body: string; args: readonly string[] }>;

export type ScriptName = keyof typeof SCRIPTS;
export type CommonArgs = Record<(typeof COMMON_ARGS)[number], string | number>;
export type ScriptArgs<S extends ScriptName> = Record<(typeof SCRIPTS)[S]['args'][number], string | number>;

/** A Lua table literal of plain numbers and arrays of numbers. */
function luaTable(o: Record<string, number | readonly number[]>): string {
  const v = (x: number | readonly number[]) => (typeof x === 'number' ? String(x) : `{${x.join(', ')}}`);
  return `{${Object.entries(o).map(([k, x]) => `${k} = ${v(x)}`).join(', ')}}`;
}

function binding(args: readonly string[]): string {
  const keys = QUEUE_KEYS.map((k, i) => `${k} = KEYS[${i + 1}]`).join(', ');
  const argv = [...COMMON_ARGS, ...args].map((a, i) => `${a} = ARGV[${i + 1}]`).join(', ');
  return `local K = {${keys}}\nlocal A = {${argv}}\nlocal POLL = ${luaTable(POLL_SCHEDULE)}\n`;
}

/** A script body with the bindings (COMMON_ARGS, then `args`) and the prelude in front of it. */
export function withPrelude(body: string, args: readonly string[]): string {
  return `${binding(args)}${prelude}\n${body}`;
}

/** The complete source Redis runs for `name`: bindings, prelude, script. */
export function scriptSource(name: ScriptName): string {
  const s = SCRIPTS[name];
  return withPrelude(s.body, s.args);
}

/** ARGV for a call of `name`, in the order the bindings expect. */
export function scriptArgv<S extends ScriptName>(name: S, common: CommonArgs, args: ScriptArgs<S>): (string | number)[] {
  const own = SCRIPTS[name].args as readonly (keyof ScriptArgs<S>)[];
  return [...COMMON_ARGS.map((a) => common[a]), ...own.map((a) => args[a])];
}
