import type { Logger } from './logger.js';
import type { HubEvents } from './events.js';

type Listener<T> = (payload: T) => void;
interface Entry<T> {
  owner: string;
  fn: Listener<T>;
}

/**
 * A typed, synchronous event bus. Every listener is isolated: one that throws is logged with its owner and the
 * event, and the others still run, so one failing rule or parser never stops the rest.
 */
export class EventBus {
  private readonly listeners = new Map<keyof HubEvents, Entry<never>[]>();
  constructor(private readonly log: Logger) {}

  on<K extends keyof HubEvents>(event: K, owner: string, fn: Listener<HubEvents[K]>): () => void {
    const list = (this.listeners.get(event) ?? []) as Entry<HubEvents[K]>[];
    const entry: Entry<HubEvents[K]> = { owner, fn };
    // Copy on write: emit() iterates a snapshot, so a listener may unsubscribe while it runs.
    this.listeners.set(event, [...list, entry] as Entry<never>[]);
    return () => {
      const current = (this.listeners.get(event) ?? []) as Entry<HubEvents[K]>[];
      this.listeners.set(event, current.filter((e) => e !== entry) as Entry<never>[]);
    };
  }

  emit<K extends keyof HubEvents>(event: K, payload: HubEvents[K]): void {
    const list = this.listeners.get(event) as Entry<HubEvents[K]>[] | undefined;
    if (!list) return;
    for (const { owner, fn } of list) {
      try {
        fn(payload);
      } catch (err) {
        this.log.error({ err, owner, event }, 'event listener failed');
      }
    }
  }

  listenerCount(event: keyof HubEvents): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  clear(): void {
    this.listeners.clear();
  }
}
