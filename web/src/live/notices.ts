import type { NotificationBatch, NotificationView } from '../../../server/realtime/protocol.js';
import { notificationLimits } from '../../../server/realtime/protocol.js';

/**
 * The rule notifications this page has been sent (server/realtime/notifications.ts), newest first, until the user
 * dismisses them. A reconnect brings the hub's last few again: known ids are not shown twice.
 */
export class NoticeStore {
  private items: NotificationView[] = [];
  private readonly seen = new Set<string>();
  /** Notifications the hub did not send (too many at once), since the page loaded. */
  dropped = 0;
  private readonly listeners = new Set<() => void>();

  add(batch: NotificationBatch): void {
    const fresh = batch.notifications.filter((n) => !this.seen.has(n.id));
    for (const n of fresh) this.seen.add(n.id);
    this.dropped += batch.dropped;
    if (fresh.length === 0 && batch.dropped === 0) return;
    this.items = [...fresh.reverse(), ...this.items].slice(0, notificationLimits.kept);
    this.emit();
  }

  dismiss(id: string): void {
    this.items = this.items.filter((n) => n.id !== id);
    this.emit();
  }

  all(): NotificationView[] {
    return this.items;
  }

  on(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
