import type { OutQueue } from './out-queue.js';
import type { QueuedMessage } from './queue-store.js';

/** What the sender needs of a connection: its byte stream (TCP, TLS or WebSocket, as MQTT.js opened it). */
export interface ByteStream {
  write(chunk: Buffer): boolean;
  /** Bytes written and not yet taken by the connection (Node's Writable). */
  readonly writableLength?: number;
}

/**
 * QoS 0 messages are dropped (and counted) while this many bytes wait to be taken by the connection: a remote slower
 * than the hub's QoS 0 traffic would otherwise grow the connection's buffer without bound. QoS 1/2 need no such bound:
 * the window and the queue's limits hold them.
 */
const qos0BufferLimit = 4 * 1024 * 1024;

/** An acknowledgement as mqtt-packet parses it. */
export interface AckPacket {
  cmd: string;
  messageId?: number;
  reasonCode?: number;
}

export interface OutSenderDeps {
  stream: ByteStream;
  protocolVersion: 4 | 5;
  queue: OutQueue;
  /** QoS 1/2 messages unacknowledged at once: maxInflight, or the remote's Receive Maximum if lower. */
  window: number;
  /** The largest packet the remote takes (MQTT 5 CONNACK Maximum Packet Size); larger messages are not sent. */
  maxPacketSize?: number;
  /** The remote acknowledged `msg` (PUBACK; PUBCOMP for QoS 2); `refused` is its reason code when >= 0x80. */
  done: (msg: QueuedMessage, refused?: number) => void;
}

/**
 * Sends one connection's share of the out-queue: QoS 1/2 PUBLISH packets encoded here and written to the
 * connection's stream, as many as the window has room for in one write per event-loop turn (with the turn's QoS 0
 * messages), and their acknowledgements matched by packet identifier. MQTT.js's publish() did the same at ~3× the CPU per message (bench/bridge.ts): per message an options
 * object, a closure, a deep copy of the packet (payload included) for its outgoing store that duplicates this queue,
 * and a write (one writev) of its own, and per PUBACK a store lookup and a callback. MQTT.js still owns the
 * connection (CONNECT, SUBSCRIBE, PINGREQ, incoming messages, QoS 0); its ack handler ignores identifiers it did not
 * hand out, and this sender uses none of its identifiers (the subscriptions are acknowledged before the first send).
 */
export class OutSender {
  /** The message in flight under each packet identifier (1..65535) [MQTT-2.3.1-2]. */
  private readonly pending = new Map<number, QueuedMessage>();
  /** QoS 2 messages whose PUBREC came: PUBREL sent, waiting for PUBCOMP [MQTT-4.3.3]. */
  private readonly released = new Set<number>();
  private nextId = 1;
  private inflight = 0;
  /** QoS 0 PUBLISHes of this turn, written with the next batch. */
  private loose: Buffer[] = [];
  private looseBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(private readonly deps: OutSenderDeps) {}

  /** Sends what the window has room for, at the end of this event-loop turn: one write for all of it. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.fill();
    });
  }

  /**
   * A QoS 0 message: written with this turn's batch, never stored (QoS 0 promises nothing, and its order against QoS
   * 1/2 messages is not kept: MQTT orders messages of the same topic and QoS [MQTT-4.6.0-6]). False when it cannot go.
   */
  publish0(topic: string, payload: Buffer, retain: boolean): boolean {
    if (this.closed) return false;
    const topicBytes = Buffer.byteLength(topic);
    if (this.unsendable(topicBytes, payload.length, 0) !== undefined) return false;
    if ((this.deps.stream.writableLength ?? 0) + this.looseBytes >= qos0BufferLimit) return false;
    const head = this.header(0, retain, topic, topicBytes, payload.length, 0);
    this.loose.push(head, payload);
    this.looseBytes += head.length + payload.length;
    this.schedule();
    return true;
  }

  /** The connection is gone: nothing more is written and acknowledgements still parsed are ignored. */
  close(): void {
    this.closed = true;
  }

  /** An acknowledgement from the remote: true if it answers a message of this sender. */
  ack(packet: AckPacket): boolean {
    if (this.closed) return false;
    const id = packet.messageId;
    if (id === undefined) return false;
    const msg = this.pending.get(id);
    if (!msg) return false;
    const code = packet.reasonCode ?? 0;
    switch (packet.cmd) {
      case 'puback':
        if (msg.qos !== 1) return false;
        break;
      case 'pubrec':
        if (msg.qos !== 2 || this.released.has(id)) return false;
        // MQTT 5: a PUBREC with a reason code >= 0x80 ends the exchange; no PUBREL follows [MQTT-4.3.3].
        if (code < 0x80) {
          this.released.add(id);
          this.deps.stream.write(Buffer.from([0x62, 2, id >> 8, id & 0xff])); // PUBREL [MQTT-3.6.1-1]
          return true;
        }
        break;
      case 'pubcomp':
        if (msg.qos !== 2 || !this.released.delete(id)) return false;
        break;
      default:
        return false;
    }
    this.pending.delete(id);
    this.inflight--;
    this.deps.done(msg, code >= 0x80 ? code : undefined);
    this.schedule();
    return true;
  }

  private fill(): void {
    if (this.closed) return;
    const { queue, window } = this.deps;
    const chunks = this.loose;
    let bytes = this.looseBytes;
    this.loose = [];
    this.looseBytes = 0;
    while (this.inflight < window) {
      const msg = queue.next();
      if (!msg) break;
      const topicBytes = Buffer.byteLength(msg.topic);
      const unsendable = this.unsendable(topicBytes, msg.payload.length, msg.qos);
      if (unsendable !== undefined) {
        // Sent, the remote would close the connection, and the message would go again at every reconnect: it is
        // dropped as a refused one (reason code as the remote would give it).
        this.deps.done(msg, unsendable);
        continue;
      }
      const id = this.allocate();
      this.pending.set(id, msg);
      this.inflight++;
      const head = this.header(msg.qos, msg.retain, msg.topic, topicBytes, msg.payload.length, id);
      chunks.push(head, msg.payload);
      bytes += head.length + msg.payload.length;
    }
    if (chunks.length > 0) this.deps.stream.write(Buffer.concat(chunks, bytes));
  }

  /**
   * Why a PUBLISH cannot be sent at all: a topic name over 65,535 bytes [MQTT-1.5.3] (a remote prefix can make a local
   * topic that long), 0x90 Topic Name invalid; a packet over the remote's Maximum Packet Size [MQTT-3.1.2-24], 0x95
   * Packet too large.
   */
  private unsendable(topicBytes: number, payloadBytes: number, qos: number): number | undefined {
    if (topicBytes > 0xffff) return 0x90;
    const max = this.deps.maxPacketSize;
    if (max === undefined) return undefined;
    const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + (this.deps.protocolVersion === 5 ? 1 : 0) + payloadBytes;
    return 1 + lengthBytes(remaining) + remaining > max ? 0x95 : undefined;
  }

  /** The next packet identifier not in flight (the window is at most 65,535, so one is free). */
  private allocate(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = id === 65535 ? 1 : id + 1;
    this.nextId = id === 65535 ? 1 : id + 1;
    return id;
  }

  /**
   * A PUBLISH up to its payload [MQTT-3.3]: fixed header (DUP 0, the QoS, RETAIN), remaining length, topic name,
   * packet identifier (QoS 1/2 only), and for MQTT 5 an empty property list [MQTT-3.3.2.3].
   */
  private header(qos: number, retain: boolean, topic: string, topicBytes: number, payloadBytes: number, id: number): Buffer {
    const props = this.deps.protocolVersion === 5 ? 1 : 0;
    const idBytes = qos > 0 ? 2 : 0;
    const remaining = 2 + topicBytes + idBytes + props + payloadBytes;
    const head = Buffer.allocUnsafe(1 + lengthBytes(remaining) + 2 + topicBytes + idBytes + props);
    let o = 0;
    head[o++] = 0x30 | (qos << 1) | (retain ? 1 : 0);
    for (let n = remaining; ; ) {
      const byte = n & 0x7f;
      n >>>= 7;
      head[o++] = n > 0 ? byte | 0x80 : byte;
      if (n === 0) break;
    }
    head[o++] = topicBytes >> 8;
    head[o++] = topicBytes & 0xff;
    o += head.write(topic, o, 'utf8');
    if (idBytes) {
      head[o++] = id >> 8;
      head[o++] = id & 0xff;
    }
    if (props) head[o++] = 0;
    return head;
  }
}

/** Bytes of a Remaining Length [MQTT-2.2.3]. */
function lengthBytes(remaining: number): number {
  return remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4;
}
