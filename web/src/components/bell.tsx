import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLive } from '../live/hooks.js';
import { formatTime } from '../model/format.js';
import { Link } from '../router.js';

/**
 * The header's bell: rule notifications (the `notify` action, loops stopped, runs dropped by the flood guard) with
 * the number not yet seen. Opening it marks them read (in this browser: live/notices.ts). The list is the hub's
 * last few and those that arrived since the page loaded.
 */
export function Bell(): JSX.Element {
  const { notices } = useLive();
  const [, setN] = useState(0);
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const off = notices.on(() => setN((n) => n + 1));
    setN((n) => n + 1); // one that arrived between the render and this subscription (live/hooks.ts, useDevice)
    return off;
  }, [notices]);
  // Read while open: a notification that arrives while the list is shown is seen.
  useEffect(() => {
    if (open) notices.markRead();
  });
  useEffect(() => {
    if (!open) return;
    const away = (e: Event): void => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', away);
    document.addEventListener('pointerdown', away);
    return () => {
      document.removeEventListener('keydown', away);
      document.removeEventListener('pointerdown', away);
    };
  }, [open]);
  const unread = notices.unread();
  const items = notices.recent();
  return (
    <div class="bell" ref={root}>
      <button type="button" class="bell-button" aria-expanded={open} aria-controls="bell-list" data-unread={unread}
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'} onClick={() => setOpen(!open)}>
        <svg class="bell-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" />
        </svg>
        {unread > 0 && <span class="bell-count" aria-hidden="true">{unread > 99 ? '99+' : unread}</span>}
      </button>
      {open && (
        <section id="bell-list" class="bell-list" aria-label="Notifications list">
          {items.length === 0 && <p class="empty">No notifications.</p>}
          <ul>
            {items.map((n) => (
              <li key={n.id} class={`bell-item ${n.level}`} data-level={n.level}>
                <small>{formatTime(n.ts)}</small>
                {n.title && <strong> {n.title}</strong>}
                <p>{n.message}</p>
                {n.ruleId && <Link href={`/rules/${encodeURIComponent(n.ruleId)}`}>Rule {n.ruleId}</Link>}
              </li>
            ))}
          </ul>
          {notices.dropped > 0 && <p><small>{notices.dropped} more were not shown (too many at once)</small></p>}
        </section>
      )}
    </div>
  );
}
