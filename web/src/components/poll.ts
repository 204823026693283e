import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api.js';

/**
 * Loads `load()` now and again every `ms` while the page is visible (pages whose data has no live socket event:
 * rule traces, broker figures). `reload()` fetches at once, after a change the page made itself.
 */
export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = []): { data?: T; error?: string; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (): void => {
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(run, ms);
        return;
      }
      load().then(
        (value) => !cancelled && (setData(value), setError(undefined)),
        (err) => !cancelled && setError(errorText(err)),
      ).finally(() => {
        if (!cancelled) timer = setTimeout(run, ms);
      });
    };
    run();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}
