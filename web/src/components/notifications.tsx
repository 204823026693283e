import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLive } from '../live/hooks.js';
import { Link } from '../router.js';

/**
 * Rule notifications as they arrive (a rule's `notify` action, a loop stopped, a device's runs dropped): a list in
 * a corner, newest first, each dismissable; a screen reader hears new ones (role="log" is polite by default).
 */
export function Notifications(): JSX.Element | null {
  const { notices } = useLive();
  const [, setN] = useState(0);
  useEffect(() => {
    const off = notices.on(() => setN((n) => n + 1));
    setN((n) => n + 1); // one that arrived between the render and this subscription (live/hooks.ts, useDevice)
    return off;
  }, [notices]);
  const items = notices.all();
  return (
    <section class="notifications" aria-label="Notifications" role="log">
      {items.map((n) => (
        <article key={n.id} class={`notification ${n.level}`} data-level={n.level} data-rule={n.ruleId}>
          <div class="notification-text">
            {n.title && <strong>{n.title}</strong>}
            <p>{n.message}</p>
            {n.ruleId && <Link href={`/rules/${encodeURIComponent(n.ruleId)}`}>Open rule {n.ruleId}</Link>}
          </div>
          <button type="button" class="link-button" aria-label={`Dismiss ${n.title ?? n.message}`} onClick={() => notices.dismiss(n.id)}>×</button>
        </article>
      ))}
      {notices.dropped > 0 && items.length > 0 && <p class="notification-dropped"><small>{notices.dropped} more were not shown (too many at once)</small></p>}
    </section>
  );
}
