import { Readable } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import { aedesInternals, clientInternals, type AedesPacket, type PersistenceInternals } from './aedes-internals.js';
import { isNothingQueued } from './persistence/nothing-queued.js';
import { hookWrites, writeNow, type OutgoingPacket, type WriteOptions } from './write-hooks.js';

/** §3.1.2.11.3: the Receive Maximum when the CONNECT has none; also the whole packet identifier space. */
const receiveMaximumDefault = 65_535;
/** §2.4, §4.3.3: a PUBREC reason code from here up ends the QoS 2 flow: no PUBREL, the slot is free. */
const failureFrom = 0x80;
/** What a queued PUBLISH costs besides its topic and payload (fixed header, identifier, object), roughly. */
const perPacketBytes = 64;

/**
 * The outbound Receive Maximum of MQTT 5 (§4.9, [MQTT-3.3.4-9]; aedes #829, which 2.0.0-beta.1 only stores): a
 * client's CONNECT Receive Maximum bounds the QoS 1 and 2 PUBLISH the hub has in flight to it — sent, and not yet
 * answered by PUBACK or PUBCOMP, or by a PUBREC with a reason code of 0x80 or more. Further ones wait, in order,
 * until an acknowledgement frees a slot. QoS 0 messages are not held (§4.9: the Server may go on sending them), so
 * they can overtake a held QoS 1 message, which the ordering rule allows (it is per QoS, [MQTT-4.6.0-6]);
 * except one sent by topic alias alone while messages wait, which could otherwise arrive before the held message that
 * defines its alias: it waits in the same line, taking no slot.
 *
 * Where: at the write (write-hooks.ts), after aedes decided everything about the copy — the dedupe within a dispatch
 * (dedupe.ts), No Local, authorizeForward, the packet identifier, a persistent session's record of it. A copy the
 * dedupe drops is therefore never queued, and a queued one is released as it is, not judged again outside its
 * dispatch. Every path that sends a QoS > 0 PUBLISH goes through it: live delivery, retained messages on SUBSCRIBE,
 * and a queued session's messages at reconnect.
 *
 * Never holding the router: a held PUBLISH is answered at once (the write "succeeds", aedes calls its delivery back
 * on the next turn), so one client that does not acknowledge holds none of mqemitter's delivery slots, which all
 * clients share (slow-reader-guard.ts says what that cost). What waits is kept per client and bounded in bytes by
 * mqtt.maxBufferedBytes together with what the socket buffers: past it the client is dropped like a slow reader.
 * A persistent session loses nothing by it (its messages are in the store, sent again at reconnect); a clean one
 * loses what was waiting, as with a slow reader.
 *
 * Two streams from the store are read only as the window has room, so that they wait instead of filling the line:
 * the retained messages sent at SUBSCRIBE (a subscription to `#` over a large retained set), and a queued session's
 * messages at reconnect (aedes connect.js emptyQueue), which would otherwise drop a client with a long backlog each
 * time it returns. aedes marks the client connected ('clientReady') once that queue is through, so such a client
 * shows online once it has acknowledged all but the last window of its backlog. A message held when a persistent
 * session's connection ends was already recorded with its packet identifier, so it is sent at reconnect with DUP set
 * (redelivery.ts) although it never left: harmless, a client must accept a DUP it has not seen.
 *
 * The window is per connection and starts empty (§4.9: the quota is not kept across connections); messages sent
 * again at reconnect count again. A client with no Receive Maximum (65,535, the whole packet identifier space) and
 * every MQTT 3.1.1 client are not tracked at all.
 */
class Window {
  /** Packet identifiers of the QoS 1/2 PUBLISH sent and not yet acknowledged. */
  readonly inflight = new Set<number>();
  private queue: Array<{ packet: OutgoingPacket; opts: WriteOptions; bytes: number }> = [];
  private head = 0;
  private queuedBytes = 0;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly client: Client,
    readonly max: number,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: (bytes: number) => void,
  ) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Room for one more, counting those already waiting (the queued-session reader waits for it). */
  get hasRoom(): boolean {
    return this.closed || this.inflight.size + this.waiting < this.max;
  }

  /** How many more would go out now, counting those already waiting. */
  get slotsFree(): number {
    return this.closed ? Infinity : Math.max(0, this.max - this.inflight.size - this.waiting);
  }

  /** The write hook: false lets aedes write the packet now; true keeps it until a slot is free. */
  readonly gate = (packet: OutgoingPacket, opts: WriteOptions): boolean => {
    if (packet.cmd !== 'publish') return false;
    if (!packet.qos || packet.messageId === undefined) {
      // A QoS 0 message sent by topic alias alone waits behind what waits: the held message before it may be the one
      // that gives the alias its topic [MQTT-3.3.2-12] (outbound-aliases.ts numbers topics as messages are routed).
      if (this.waiting === 0 || packet.topic !== '') return false;
    } else if (this.inflight.has(packet.messageId)) {
      return false; // a packet identifier already in flight is that message sent again: it takes no second slot
    } else if (this.waiting === 0 && this.inflight.size < this.max) {
      this.inflight.add(packet.messageId);
      return false;
    }
    const bytes = perPacketBytes + Buffer.byteLength(packet.topic ?? '') + (typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : (packet.payload?.length ?? 0));
    this.queue.push({ packet, opts, bytes });
    this.queuedBytes += bytes;
    const conn = clientInternals(this.client).conn;
    const held = this.queuedBytes + conn.writableLength;
    if (held > this.maxBufferedBytes) {
      this.close();
      if (!conn.destroyed) {
        this.onOverflow(held);
        conn.destroy(new Error(`client not acknowledging: ${held} bytes waiting for its Receive Maximum of ${this.max}, over the limit of ${this.maxBufferedBytes}`));
      }
    }
    return true;
  };

  /** An acknowledgement ended the flow of `messageId`: its slot goes to the next waiting message. */
  acknowledged(messageId: number | undefined): void {
    if (messageId === undefined || !this.inflight.delete(messageId)) return;
    const c = clientInternals(this.client);
    while (this.waiting > 0) {
      if (c.closed || c.conn.destroyed) return this.close();
      const next = this.queue[this.head]!;
      const slot = next.packet.qos ? next.packet.messageId! : undefined;
      if (slot !== undefined) {
        if (this.inflight.size >= this.max) break;
        this.inflight.add(slot);
      }
      this.queue[this.head++] = undefined as never;
      this.queuedBytes -= next.bytes;
      try {
        writeNow(next.packet, c.conn, next.opts);
      } catch (err) {
        // As aedes's write(): a packet mqtt-packet cannot encode ends the connection.
        c.conn.destroy(err as Error);
        return this.close();
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.wake();
  }

  /** Resolves when there is room for one more (or the client is gone). */
  room(): Promise<void> {
    if (this.hasRoom || clientInternals(this.client).closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.wake();
  }

  private wake(): void {
    if (!this.hasRoom || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Every tracked client's window. */
const allWindows = new WeakMap<object, Window>();

/**
 * Whether a QoS 1/2 message for `client` would wait now (its Receive Maximum's worth in flight already, or others
 * waiting): shared subscriptions give such a message to another member when one has room (shared-subscriptions.ts).
 */
export function windowFull(client: Client): boolean {
  const w = allWindows.get(client);
  return w !== undefined && !w.hasRoom;
}

/** How many more QoS 1/2 messages `client` takes now before they wait for its acknowledgements (Infinity: no window). */
export function windowSlotsFree(client: Client): number {
  return allWindows.get(client)?.slotsFree ?? Infinity;
}

/**
 * Returns what the broker calls for each packet a client sends (parser-hooks.ts; it runs before aedes's own
 * listener: the CONNECT is seen before aedes answers it, an acknowledgement as it arrives). `maxBufferedBytes` bounds
 * what waits for a client (with what its socket buffers), `onOverflow` reports one dropped for going past it,
 * `retainedCurrent` says whether a retained copy made at SUBSCRIBE is still its topic's message. A client with no
 * Receive Maximum costs nothing here: its window is made at its CONNECT, only when it sets one.
 */
export function outboundWindow(aedes: Aedes, maxBufferedBytes: number, onOverflow: (client: Client, bytes: number) => void, retainedCurrent: (packet: AedesPacket) => boolean): (client: Client, packet: unknown) => void {
  let paced: PersistenceInternals | undefined;

  /** A queued session's messages at reconnect are read as the window has room (see above). */
  const paceQueuedSessions = (): void => {
    const persistence = aedesInternals(aedes).persistence;
    if (!persistence || paced === persistence) return;
    paced = persistence;
    const stream = persistence.outgoingStream.bind(persistence);
    persistence.outgoingStream = (client) => {
      const source = stream(client);
      const window = allWindows.get(client);
      // Also called for a session being wiped (aedes emptyOutgoingQueue, the client closed): read at once.
      if (!window || clientInternals(client as Client).closed || isNothingQueued(source)) return source;
      return Readable.from(
        (async function* paced(): AsyncGenerator<AedesPacket> {
          for await (const packet of source as AsyncIterable<AedesPacket>) {
            await window.room();
            yield packet;
          }
        })(),
      );
    };
  };

  const connect = (client: Client, max: number): void => {
    const c = clientInternals(client);
    const w = new Window(client, max, maxBufferedBytes, (bytes) => onOverflow(client, bytes));
    allWindows.set(client, w);
    const unhook = hookWrites(c.conn, w.gate);
    // Retained messages sent at SUBSCRIBE (aedes subscribe.js completeSubscribe: client.deliverQoS, with brokerId
    // null so that they are never deduped) come from a stream of the store that is read as fast as they are
    // taken: held back here until the window has room, that stream waits instead of filling the line — a
    // subscription to `#` over a large retained set is sent at the client's pace, not dropped for its size.
    // Live messages (numbered by a broker) go on at once: they hold a router slot until answered.
    const deliverQoS = c.deliverQoS;
    c.deliverQoS = (packet, cb) => {
      if (packet.brokerId !== null || !packet.qos || w.hasRoom) return deliverQoS(packet, cb);
      // Asked again once it has room: its topic may have been replaced while it waited (retained-current.ts).
      void w.room().then(() => (retainedCurrent(packet) ? deliverQoS(packet, cb) : cb()));
    };
    c.conn.once('close', () => {
      unhook();
      w.close();
    });
  };

  return (client, p) => {
    const packet = p as { cmd: string; protocolVersion?: number; properties?: { receiveMaximum?: number }; messageId?: number; reasonCode?: number };
    switch (packet.cmd) {
      case 'connect': {
        paceQueuedSessions();
        const max = packet.protocolVersion === 5 ? packet.properties?.receiveMaximum : undefined;
        // 0 is a Protocol Error aedes refuses [MQTT-3.1.2-22]; none, or the default, needs no tracking.
        if (allWindows.has(client) || max === undefined || max <= 0 || max >= receiveMaximumDefault) return;
        return connect(client, max);
      }
      case 'puback':
      case 'pubcomp':
        return allWindows.get(client)?.acknowledged(packet.messageId);
      case 'pubrec':
        // A PUBREC below 0x80 goes on to PUBREL/PUBCOMP: the message stays in flight until the PUBCOMP.
        if ((packet.reasonCode ?? 0) >= failureFrom) allWindows.get(client)?.acknowledged(packet.messageId);
        return;
    }
  };
}
