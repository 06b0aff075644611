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
 * after the previous finished. The tick's signal is aborted when the poll stops: a tick
 * passes it to its requests, and an answer that comes back after that is stale (the page
 * has moved on) and must change nothing.
 */
export function usePoll(tick: (signal: AbortSignal) => Promise<number | null>, key: unknown[]): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (stop.signal.aborted) return;
      let next: number | null = null;
      try {
        next = await latest.current(stop.signal);
      } catch {
        next = 3000;
      }
      if (!stop.signal.aborted && next !== null) timer = setTimeout(run, next);
    };
    void run();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, key);
}
