import type { NotificationBatch, NotificationView } from '../../../server/realtime/protocol.js';
import { notificationLimits } from '../../../server/realtime/protocol.js';

/**
 * The rule notifications this page has been sent (server/realtime/notifications.ts), newest first, until the user
 * dismisses them. A reconnect brings the hub's last few again: known ids are not shown twice.
 */
export class NoticeStore {
  private items: NotificationView[] = [];
  /** Every notification received, newest first, dismissed or not: the bell's list (components/bell.tsx). */
  private history: NotificationView[] = [];
  /** The newest notification time the user has seen in the bell: later ones are unread. Kept per browser. */
  private readUntil = readMark();
  private readonly seen = new Set<string>();
  /** Notifications the hub did not send (too many at once), since the page loaded. */
  dropped = 0;
  private readonly listeners = new Set<() => void>();

  add(batch: NotificationBatch): void {
    const fresh = batch.notifications.filter((n) => !this.seen.has(n.id));
    for (const n of fresh) this.seen.add(n.id);
    this.dropped += batch.dropped;
    if (fresh.length === 0 && batch.dropped === 0) return;
    fresh.reverse();
    this.items = [...fresh, ...this.items].slice(0, notificationLimits.kept);
    this.history = [...fresh, ...this.history].slice(0, notificationLimits.kept);
    this.emit();
  }

  dismiss(id: string): void {
    this.items = this.items.filter((n) => n.id !== id);
    this.emit();
  }

  all(): NotificationView[] {
    return this.items;
  }

  /** The bell's list: newest first, including dismissed ones. */
  recent(): NotificationView[] {
    return this.history;
  }

  unread(): number {
    return this.history.filter((n) => n.ts > this.readUntil).length;
  }

  /** Opening the bell: everything received so far is read, in this browser from now on too. */
  markRead(): void {
    const newest = this.history[0]?.ts ?? 0;
    if (newest <= this.readUntil) return;
    this.readUntil = newest;
    try {
      localStorage.setItem(READ_KEY, String(newest));
    } catch {
      // Storage off (private mode): read until the page reloads.
    }
    this.emit();
  }

  on(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}

const READ_KEY = 'rumah.notifications.readUntil';

function readMark(): number {
  try {
    return Number(localStorage.getItem(READ_KEY)) || 0;
  } catch {
    return 0;
  }
}
