/** Waiting and backing off: shared by every module that retries a lost race. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter exponential backoff: a random wait in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs = 10, capMs = 200): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}
