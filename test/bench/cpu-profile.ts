/**
 * Where a request's CPU goes: runs a load under V8's sampling CPU profiler (node:inspector)
 * and adds up the self time of every sample by package (node_modules/<package>, lib/...,
 * node: internals, the garbage collector) and by function, per request. Idle time is left
 * out. The profiler adds its own cost, so compare the shares, not the totals, with the
 * unprofiled figures. Used by bench phase 1 and `npm run bench:profile-enter`.
 */
import { Session } from 'node:inspector/promises';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** Busy (not idle) µs per request. */
  busyMicrosPerOp: number;
  packages: { name: string; microsPerOp: number; share: number }[];
  functions: { name: string; microsPerOp: number }[];
}

/** The package (or lib/ file, or node: module) a profiled function's script belongs to. */
export function where(url: string): string {
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1]!;
  if (url.startsWith('node:') || url === '') return url || '(native/GC)';
  // The project's own files by their path in the repository (never the machine's).
  const local = url.match(/\/(lib|functions|test|infra)\/.*$/);
  return local ? local[0].slice(1) : (url.split('/').pop() ?? url);
}

/** Runs `run` under the CPU profiler (sampling every `intervalMicros`). */
export async function profiled<T>(run: () => Promise<T>, intervalMicros = 100): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalMicros });
    await session.post('Profiler.start');
    const result = await run();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

const IDLE = new Set(['(idle)', '(program)']);

/** Self time per request of `count` requests, by package and by function, largest first. */
export function selfTime(profile: CpuProfile, count: number): SelfTime {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, t] of self) {
    const n = byNode.get(id)!;
    if (IDLE.has(n.callFrame.functionName)) continue;
    busy += t;
    const g = n.callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : where(n.callFrame.url);
    groups.set(g, (groups.get(g) ?? 0) + t);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${g}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  return {
    busyMicrosPerOp: busy / count,
    packages: [...groups].sort((a, b) => b[1] - a[1]).map(([name, t]) => ({ name, microsPerOp: t / count, share: busy > 0 ? t / busy : 0 })),
    functions: [...fns].sort((a, b) => b[1] - a[1]).map(([name, t]) => ({ name, microsPerOp: t / count })),
  };
}
