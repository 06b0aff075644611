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
  /**
   * Whether a line of its output (stdout or stderr) has matched `pattern` so far. The
   * first call registers the pattern; lines still in the tail count too.
   */
  printed: (pattern: RegExp) => boolean;
  stop: () => Promise<void>;
  /** SIGKILL now, as a crash would: no shutdown work (tests of restarts and loss). */
  kill: () => Promise<void>;
}

const running = new Set<Child>();

export interface ChildOptions extends SpawnOptions {
  /** Copy its output to this process's stdout. */
  echo?: boolean;
  /** Rewrites what is echoed (never what tail() and printed() see). */
  echoFilter?: (text: string) => string;
}

export function startChild(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
  const { echo: _echo, echoFilter: _filter, ...spawnOptions } = options;
  const proc = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const patterns = new Map<RegExp, boolean>();
  // A line split across chunks is matched once complete; the unfinished end of each stream
  // still shows in tail().
  const partial = { stdout: '', stderr: '' };
  const collect = (stream: keyof typeof partial, text: string) => {
    if (options.echo) process.stdout.write(options.echoFilter ? options.echoFilter(text) : text);
    const split = (partial[stream] + text).split('\n');
    partial[stream] = split.pop() ?? '';
    const fresh = split.filter(Boolean);
    for (const [pattern, hit] of patterns) if (!hit && fresh.some((l) => pattern.test(l))) patterns.set(pattern, true);
    lines.push(...fresh);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  proc.stdout?.on('data', (chunk: Buffer) => collect('stdout', chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => collect('stderr', chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name,
    proc,
    tail: () => [...lines.slice(-30), partial.stdout, partial.stderr].filter(Boolean).join('\n'),
    printed: (pattern) => {
      if (!patterns.has(pattern)) patterns.set(pattern, lines.some((l) => pattern.test(l)));
      return patterns.get(pattern)!;
    },
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

export interface NeededPort {
  port: number;
  /** What listens there, e.g. "the API". */
  what: string;
  /** The environment variable that chooses it, for the message. */
  variable: string;
  host?: string;
}

/** Whether something on this machine already listens on (or otherwise holds) host:port. */
export function portTaken(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(true);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** The ports of `needed` that are taken now (checked one by one, none kept open). */
export async function takenPorts(needed: NeededPort[]): Promise<NeededPort[]> {
  const taken: NeededPort[] = [];
  for (const p of needed) if (await portTaken(p.port, p.host)) taken.push(p);
  return taken;
}

/**
 * Polls `check` until it resolves true, or fails with the child's last output; `failed`
 * may end the wait early with an error of its own (a start-up the child will never finish).
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: Child, failed?: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failure = failed?.();
    if (failure) throw failure;
    if (child && child.proc.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.proc.exitCode} during start-up:\n${child.tail()}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s${child ? `:\n${child.tail()}` : ''}`);
}
