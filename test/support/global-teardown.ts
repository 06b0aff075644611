import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__STACK__?.stop();
  if (process.env.TEST_STACK_ENV_FILE) rmSync(process.env.TEST_STACK_ENV_FILE, { force: true });
}
