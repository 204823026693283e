import type { JSX } from 'preact';
import { useNow } from '../live/hooks.js';
import { formatAgo, formatTime } from '../model/format.js';

/** "12 s ago", kept current by the page's shared ticker; the exact time in the tooltip and for screen readers. */
export function Ago({ ts }: { ts: number | undefined }): JSX.Element {
  const now = useNow();
  if (ts === undefined) return <span>never</span>;
  return <time dateTime={new Date(ts).toISOString()} title={formatTime(ts)}>{formatAgo(ts, now)}</time>;
}
