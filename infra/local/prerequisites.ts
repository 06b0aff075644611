/** Checks the programs the embedded stack needs and says exactly how to get them. */
import { spawnSync } from 'node:child_process';

export interface Missing {
  what: string;
  fix: string;
}

function javaMajor(): number | undefined {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

function has(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

export function checkEmbeddedPrerequisites(): Missing[] {
  const missing: Missing[] = [];
  const java = javaMajor();
  if (java === undefined || java < 17) {
    missing.push({
      what: java === undefined ? 'Java (needed by DynamoDB Local) was not found' : `Java ${java} is too old for DynamoDB Local (needs 17+)`,
      fix: 'Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless   macOS: brew install openjdk@17',
    });
  }
  if (!has('redis-server', ['--version'])) {
    missing.push({
      what: 'redis-server was not found (the waiting room runs on Redis)',
      fix: 'Debian/Ubuntu: sudo apt-get install -y redis-server   macOS: brew install redis',
    });
  }
  return missing;
}

export function formatMissing(missing: Missing[]): string {
  return [
    'The embedded local stack cannot start:',
    ...missing.map((m) => `  - ${m.what}\n      ${m.fix}`),
    'Or run against LocalStack and Redis in Docker instead: docker compose up -d && LOCAL_BACKEND=localstack npm start',
  ].join('\n');
}
