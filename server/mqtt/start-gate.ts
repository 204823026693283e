import type { Client } from 'aedes';
import type { EventBus } from '../core/event-bus.js';
import { clientInternals } from './aedes-internals.js';

/**
 * The broker's side of the hub's start order (server/hub.ts, "Start order"; issue 19 item 6). Hub.start opens the MQTT
 * listeners before the parts that are not needed to accept a login (rules, logbook, bridges, exports) are loaded.
 * While held (hold() to release()) clients may connect, log in and subscribe; their publishes wait in flow control
 * (`held`, as behind a slow history writer: their sockets are not read), and the broker's events (connected,
 * disconnected, a will, the hub's own messages) are queued in order, then given to every listener at once. The queue
 * is bounded by the connections made in that window: no client publish can enter it.
 */
export class StartGate {
  private pending: Array<() => void> | undefined;
  /** Connections between their CONNECT and its CONNACK (or their end), each with what ends its wait. */
  private readonly connecting = new Map<Client, { answered: Promise<void>; end: () => void }>();
  /** What the broker tells the hub goes through here: straight to the bus, or queued while held. */
  readonly events: Pick<EventBus, 'emit'>;

  constructor(bus: Pick<EventBus, 'emit'>) {
    this.events = { emit: (event, payload) => (this.pending ? void this.pending.push(() => bus.emit(event, payload)) : bus.emit(event, payload)) };
  }

  get held(): boolean {
    return this.pending !== undefined;
  }

  hold(): void {
    this.pending ??= [];
  }

  release(): void {
    const pending = this.pending;
    this.pending = undefined;
    for (const emit of pending ?? []) emit();
  }

  /** A CONNECT arrived (aedes's preConnect); answered when its CONNACK is sent (clientReady) or its connection ends. */
  connectStarted(client: Client): void {
    if (this.connecting.has(client)) return;
    let end!: () => void;
    const answered = new Promise<void>((resolve) => (end = resolve));
    const conn = clientInternals(client).conn;
    const finish = (): void => {
      this.connecting.delete(client);
      conn.off('close', finish);
      end();
    };
    this.connecting.set(client, { answered, end: finish });
    conn.once('close', finish);
  }

  connectAnswered(client: Client): void {
    this.connecting.get(client)?.end();
  }

  /**
   * Resolves once the CONNECTs being handled now are answered, or after `maxWaitMs`; those arriving later do not
   * count. Hub.start awaits it before each part it loads after the listeners: a device that connected when the port
   * opened is answered before the rules engine, the dashboard's modules and the rest take the event loop for tens of
   * milliseconds each. Bounded, so that a storm of logins at start (each a scrypt) does not hold back the rules and
   * the publishes waiting for them.
   */
  connectsAnswered(maxWaitMs = 250): Promise<void> {
    if (this.connecting.size === 0) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    const answered = Promise.all([...this.connecting.values()].map((c) => c.answered)).then(() => undefined);
    return Promise.race([answered, bound]).finally(() => clearTimeout(timer));
  }
}
