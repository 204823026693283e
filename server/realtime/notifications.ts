// Notifications to the dashboard: a rule's `notify` action and the rule guards' notices (rules/engine/engine.ts)
// are `notification` events on the bus; this sends them to every open dashboard as `notifications` batches, and
// the last few to a dashboard that connects later. Bounded every way a rule could push it: at most one batch per
// coalesceMs, at most maxPerBatch notifications in it (the rest are counted in `dropped`), text cut to a length,
// and a fixed number kept for late comers.

import type { EventBus } from '../core/event-bus.js';
import type { Notification } from '../core/events.js';
import { notificationLimits, type NotificationBatch, type NotificationView } from './protocol.js';

export interface NotificationFeedOptions {
  bus: EventBus;
  intervalMs: number;
  /** Receives each batch; called at most once per `intervalMs`. */
  flush: (batch: NotificationBatch) => void;
}

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What a browser gets of a notification: its text cut to the protocol's limits; the cause kept as it is. */
export function notificationView(n: Notification): NotificationView {
  return {
    id: cut(n.id, 64), ts: n.ts, level: n.level, message: cut(n.message, notificationLimits.messageLength),
    ...(n.title !== undefined ? { title: cut(n.title, notificationLimits.titleLength) } : {}),
    ...(n.ruleId !== undefined ? { ruleId: n.ruleId } : {}),
  };
}

export class NotificationFeed {
  private readonly recent: NotificationView[] = [];
  private pending: NotificationView[] = [];
  private dropped = 0;
  private timer?: NodeJS.Timeout;
  private off?: () => void;

  constructor(private readonly opts: NotificationFeedOptions) {}

  start(): void {
    this.off = this.opts.bus.on('notification', 'realtime', (n) => this.add(notificationView(n)));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The last ones, oldest first: what a dashboard that connects now is shown. */
  latest(): NotificationBatch {
    return { notifications: [...this.recent], dropped: 0 };
  }

  private add(view: NotificationView): void {
    this.recent.push(view);
    if (this.recent.length > notificationLimits.kept) this.recent.shift();
    if (this.pending.length < notificationLimits.perBatch) this.pending.push(view);
    else this.dropped++;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const batch = { notifications: this.pending, dropped: this.dropped };
      this.pending = [];
      this.dropped = 0;
      this.opts.flush(batch);
    }, this.opts.intervalMs);
    this.timer.unref();
  }
}
