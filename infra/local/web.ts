/**
 * The web app for local runs: one Vite build of web/ (skipped when web/dist is newer than
 * every source file), served by `vite preview` on WEB_PORT with /v1 proxied to the API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, waitFor, type Child } from './processes';
import { projectDir } from './stack';

const webDir = join(projectDir, 'web');
const distIndex = join(webDir, 'dist', 'index.html');
const viteBin = join(projectDir, 'node_modules', 'vite', 'bin', 'vite.js');
const config = join(webDir, 'vite.config.ts');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds web/dist unless it is already newer than every file under web/. */
export function buildWeb(log: (line: string) => void = () => {}): void {
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= newestSource(webDir)) return;
  log('building the web app (vite build)...');
  const r = spawnSync(process.execPath, [viteBin, 'build', '--config', config, '--logLevel', 'warn'], { cwd: projectDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Builds web/ into `outDir` (any directory; web/dist stays as it is) with the build-time
 * settings `env` (VITE_API_URL, VITE_OIDC_*: web/src/oidc-config.ts) and no VITE_ variable
 * of the calling shell. Always builds. Used by the OIDC browser test and npm run deploy:web.
 */
export function buildWebTo(outDir: string, env: Record<string, string> = {}): void {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITE_')));
  const r = spawnSync(process.execPath, [viteBin, 'build', '--config', config, '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
    cwd: projectDir,
    encoding: 'utf8',
    env: { ...inherited, ...env },
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface RunningWeb {
  url: string;
  child: Child;
}

/**
 * Serves web/dist (or `distDir`, a build of buildWebTo) on `port`, proxying /v1 to
 * `apiUrl`; resolves once the page answers.
 */
export async function startWeb(o: { port: number; apiUrl: string; echo?: boolean; distDir?: string }): Promise<RunningWeb> {
  const args = [viteBin, 'preview', '--config', config, '--port', String(o.port), '--strictPort', ...(o.distDir ? ['--outDir', o.distDir] : [])];
  const child = startChild('vite preview', process.execPath, args, {
    cwd: projectDir,
    env: { ...process.env, API_URL: o.apiUrl, WEB_PORT: String(o.port) },
    echo: o.echo,
  });
  const url = `http://127.0.0.1:${o.port}`;
  await waitFor('the web server', async () => (await fetch(url)).ok, 20_000, child);
  return { url, child };
}
