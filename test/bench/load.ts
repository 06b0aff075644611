/**
 * A closed-loop load driver: `concurrency` workers call `op` back to back for a fixed
 * time or count, recording each call's latency and the process CPU time spent.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './stats';
import type { Progress } from './progress';

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  latencyMs: LatencySummary;
  /** Process CPU time (user + system) per operation, in microseconds. */
  cpuMicrosPerOp: number;
  firstError?: string;
}

export interface LoadOptions {
  concurrency: number;
  durationMs?: number;
  count?: number;
  progress?: Progress;
  /** Also appends every call's latency here (to combine several loads: combineLoads). */
  latencies?: number[];
}

export async function runLoad(op: (i: number) => Promise<unknown>, o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = o.durationMs ? t0 + o.durationMs : Infinity;
  const limit = o.count ?? Infinity;
  const tick = o.progress ? setInterval(() => o.progress!.update(o.count ? next : Math.min(performance.now() - t0, o.durationMs!)), 200) : undefined;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < limit && performance.now() < deadline) {
        const i = next++;
        const s = performance.now();
        try {
          await op(i);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
        const ms = performance.now() - s;
        latencies.push(ms);
        o.latencies?.push(ms);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (tick) clearInterval(tick);
  const cpu = process.cpuUsage(cpu0);
  return {
    ops: latencies.length,
    errors,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latencyMs: summarize(latencies),
    cpuMicrosPerOp: (cpu.user + cpu.system) / Math.max(1, latencies.length),
    firstError,
  };
}

/** Several loads of one operation as one: their totals, and the latencies all of them collected. */
export function combineLoads(parts: LoadResult[], latencies: number[]): LoadResult {
  const ops = parts.reduce((a, p) => a + p.ops, 0);
  const seconds = parts.reduce((a, p) => a + p.seconds, 0);
  return {
    ops,
    errors: parts.reduce((a, p) => a + p.errors, 0),
    seconds,
    opsPerSecond: ops / seconds,
    latencyMs: summarize(latencies),
    cpuMicrosPerOp: parts.reduce((a, p) => a + p.cpuMicrosPerOp * p.ops, 0) / Math.max(1, ops),
    firstError: parts.find((p) => p.firstError)?.firstError,
  };
}
