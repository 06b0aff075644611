import { useEffect, useRef, useState } from 'preact/hooks';

/** Re-renders every `ms` and returns the current time (countdowns). */
export function useNow(ms = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/**
 * Runs `tick` now and then again after the delay it returns (null stops), until the
 * component unmounts or `key` changes. One tick at a time: the next is scheduled only
 * after the previous finished.
 */
export function usePoll(tick: () => Promise<number | null>, key: unknown[]): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (stopped) return;
      let next: number | null = null;
      try {
        next = await latest.current();
      } catch {
        next = 3000;
      }
      if (!stopped && next !== null) timer = setTimeout(run, next);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, key);
}
