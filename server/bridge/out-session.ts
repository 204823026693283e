import type { IClientOptions } from 'mqtt';
import type { QueuedMessage } from './queue-store.js';

/** MQTT.js's `messageIdProvider` option. */
type MessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>;

/** One packet to send again when a session is resumed: a PUBLISH with DUP 1, or a PUBLISH's PUBREL. */
export interface Resend {
  id: number;
  msg: QueuedMessage;
  pubrel: boolean;
}

/**
 * The client side of an outbound bridge's MQTT session for what it sends: the QoS 1/2 messages in flight under their
 * packet identifiers, and which QoS 2 ones had their PUBREC. It outlives a connection when the bridge has a
 * persistent session (`cleanSession: false`): a remote that answers CONNECT with Session Present 1 holds the other
 * half (the QoS 2 messages it has, under these ids), so everything unacknowledged is sent again with its original
 * identifier [MQTT-4.4.0-1]: a PUBLISH with DUP 1 [MQTT-3.3.1-1], or the PUBREL once the PUBREC came. Sent under a new
 * identifier, a QoS 2 message the remote already holds would be a second message to it, delivered twice.
 *
 * Held in memory while the hub runs, kept over a clean stop and a change on the Broker page (saved-session.ts); a
 * crash loses the identifiers (docs/bridges.md, "Persistent sessions"). A clean-session bridge, or a remote that kept
 * nothing (Session Present 0), starts a new one at each connection.
 */
export class OutSession {
  /** The message in flight under each packet identifier (1..65535) [MQTT-2.3.1-2], in the order they were sent. */
  readonly pending = new Map<number, QueuedMessage>();
  /** QoS 2 messages whose PUBREC came: PUBREL sent, waiting for PUBCOMP [MQTT-4.3.3], in the order the PUBRECs came. */
  readonly released = new Set<number>();
  private nextId = 1;

  /** The remote kept nothing (Session Present 0, or a clean session): the identifiers are free again. */
  clear(): void {
    this.pending.clear();
    this.released.clear();
  }

  /** What a clean stop keeps: each identifier in flight with its queue row's id, in the order sent. */
  save(): { pending: Array<[number, number]>; released: number[]; nextId: number } {
    return { pending: [...this.pending].map(([id, msg]) => [id, msg.id]), released: [...this.released], nextId: this.nextId };
  }

  /**
   * Takes up what the last run saved at its clean stop, with the queue's messages for its rows (out-queue.ts
   * `resumeInFlight`). An identifier whose message is not in the queue any more is left out (its PUBREL included).
   */
  restore(saved: { pending: ReadonlyArray<readonly [number, number]>; released: readonly number[]; nextId: number }, messages: ReadonlyMap<number, QueuedMessage>): void {
    this.clear();
    for (const [id, row] of saved.pending) {
      const msg = messages.get(row);
      if (msg && validId(id)) this.pending.set(id, msg);
    }
    for (const id of saved.released) if (this.pending.has(id) && this.pending.get(id)!.qos === 2) this.released.add(id);
    this.nextId = validId(saved.nextId) ? saved.nextId : 1;
  }

  /** The next packet identifier not in flight (a window is at most 65,535, so one is free). */
  allocate(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = id === 65535 ? 1 : id + 1;
    this.nextId = id === 65535 ? 1 : id + 1;
    return id;
  }

  /**
   * What to send again on a resumed session, in order: the PUBLISHes in the order they were first sent
   * [MQTT-4.6.0-1], the PUBRELs in the order their PUBRECs came [MQTT-4.6.0-3]; each PUBREL takes the place of a
   * released message in the sending order, so for a remote that sent its PUBRECs in order [MQTT-4.6.0-2] the packets
   * go again exactly as they went the first time.
   */
  resends(): Resend[] {
    const out: Resend[] = [];
    const pubrels = this.released.values();
    for (const [id, msg] of this.pending) {
      if (!this.released.has(id)) {
        out.push({ id, msg, pubrel: false });
        continue;
      }
      const rel = pubrels.next().value as number;
      out.push({ id: rel, msg: this.pending.get(rel)!, pubrel: true });
    }
    return out;
  }

  /**
   * An MQTT.js message-id provider for the connection's own packets (its SUBSCRIBE): a packet identifier must be one
   * not in use [MQTT-2.3.1-2], and on a resumed session this session's ids are in use at the remote before the first
   * packet is sent again. Only the connection's few SUBSCRIBEs go through it.
   */
  idProvider(): MessageIdProvider {
    let last = 0;
    return {
      allocate: () => (last = this.allocate()),
      getLastAllocated: () => last,
      register: () => true,
      deallocate: () => undefined,
      clear: () => undefined,
    };
  }
}

const validId = (id: number): boolean => Number.isInteger(id) && id >= 1 && id <= 65535;
