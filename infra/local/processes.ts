/**
 * Child processes of the local stack. Each runs in its own process group so stopping
 * it also stops whatever it started (java, esbuild); stopAll() is idempotent and is
 * wired to exit and signals by the callers, so no child outlives `npm start`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Last lines of output, for error messages when start-up fails. */
  tail: () => string;
  stop: () => Promise<void>;
  /** SIGKILL now, as a crash would: no shutdown work (tests of restarts and loss). */
  kill: () => Promise<void>;
}

const running = new Set<Child>();

export function startChild(name: string, command: string, args: string[], options: SpawnOptions & { echo?: boolean } = {}): Child {
  const proc = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    if (options.echo) process.stdout.write(text);
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name,
    proc,
    tail: () => lines.slice(-30).join('\n'),
    stop: async () => {
      running.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      signalGroup(proc, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      running.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      signalGroup(proc, 'SIGKILL');
      await exited;
    },
  };
  running.add(child);
  return child;
}

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // The group is already gone.
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].reverse().map((c) => c.stop()));
}

/** Synchronous last resort on process exit: signal every group still running. */
export function killAllNow(): void {
  for (const c of running) signalGroup(c.proc, 'SIGKILL');
  running.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it resolves true, or fails with the child's last output. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.proc.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.proc.exitCode} during start-up:\n${child.tail()}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s${child ? `:\n${child.tail()}` : ''}`);
}
