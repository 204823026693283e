import mqttPacket from 'mqtt-packet';
import type { OutQueue } from './out-queue.js';
import type { OutSession, Resend } from './out-session.js';
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
  /** The bridge's in-flight messages by packet identifier: one per link, kept across connections (out-session.ts). */
  session: OutSession;
  /** The remote resumed the session (CONNACK Session Present 1): what the session holds goes again first. */
  resume?: boolean;
  /** QoS 1/2 messages unacknowledged at once: maxInflight, or the remote's Receive Maximum if lower. */
  window: number;
  /**
   * At most this many QoS 2 messages sent and not yet released (no PUBREC yet), and no message at all sent while that
   * many are: for MQTT 3.1.1 remotes, which cannot say how many they take (link.ts).
   */
  qos2Window?: number;
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
 * hand out, and this sender uses none of its identifiers (the subscriptions are acknowledged before the first send;
 * their identifiers avoid the session's, out-session.ts).
 */
export class OutSender {
  /** The session's messages in flight, by packet identifier, and the QoS 2 ones whose PUBREC came (out-session.ts). */
  private readonly pending: Map<number, QueuedMessage>;
  private readonly released: Set<number>;
  /** Messages sent (or sent again) on this connection and not yet acknowledged: what the window counts. */
  private inflight = 0;
  /** QoS 2 messages sent (or to be sent again) whose PUBREC has not come: what `qos2Window` bounds. */
  private unreleased = 0;
  /**
   * A resumed session's packets to send again, before anything new (undefined once all went, and on every connection
   * of a clean-session bridge), the next one's index, and the ids among them not yet sent again on this connection.
   */
  private resends?: Resend[];
  private resendAt = 0;
  private waiting?: Set<number>;
  /** QoS 0 PUBLISHes of this turn, written with the next batch. */
  private loose: Buffer[] = [];
  private looseBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(private readonly deps: OutSenderDeps) {
    this.pending = deps.session.pending;
    this.released = deps.session.released;
    if (deps.resume && this.pending.size > 0) {
      this.resends = deps.session.resends();
      this.waiting = new Set(this.pending.keys());
      for (const [id, msg] of this.pending) if (msg.qos === 2 && !this.released.has(id)) this.unreleased++;
    }
  }

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
        // Released (the PUBREL written now reaches the remote before anything sent after it), or refused.
        this.unreleased--;
        // MQTT 5: a PUBREC with a reason code >= 0x80 ends the exchange; no PUBREL follows [MQTT-4.3.3].
        if (code < 0x80) {
          if (this.waiting !== undefined) this.take(id);
          this.released.add(id);
          this.deps.stream.write(mqttPacket.generate({ cmd: 'pubrel', messageId: id }, { protocolVersion: this.deps.protocolVersion })); // [MQTT-4.3.3]
          return true;
        }
        break;
      case 'pubcomp':
        if (msg.qos !== 2 || !this.released.delete(id)) return false;
        break;
      default:
        return false;
    }
    if (this.waiting !== undefined) this.take(id);
    this.pending.delete(id);
    this.inflight--;
    this.deps.done(msg, code >= 0x80 ? code : undefined);
    this.schedule();
    return true;
  }

  /**
   * A resumed session's message answered before it went again on this connection (a remote that had it after all):
   * it is this connection's from now, counted in the window, and is not sent again.
   */
  private take(id: number): void {
    if (this.waiting!.delete(id)) this.inflight++;
  }

  private fill(): void {
    if (this.closed) return;
    const { queue, window } = this.deps;
    const chunks = this.loose;
    let bytes = this.looseBytes;
    this.loose = [];
    this.looseBytes = 0;
    if (this.resends !== undefined) bytes = this.resend(chunks, bytes);
    const qos2Window = this.deps.qos2Window ?? window;
    while (this.inflight < window) {
      // Nothing goes while the remote holds qos2Window unreleased QoS 2 messages: mosquitto refuses a QoS 1 message
      // too while its count of those is full (db__ready_for_flight), and in 3.1.1 that refusal is a plain PUBACK.
      if (this.unreleased >= qos2Window) break;
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
      const id = this.deps.session.allocate();
      this.pending.set(id, msg);
      this.inflight++;
      if (msg.qos === 2) this.unreleased++;
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

  /**
   * A resumed session: what the remote has not acknowledged goes again, in order, as far as the window allows, before
   * anything new [MQTT-4.4.0-1]: a PUBLISH with its original packet identifier and DUP 1 [MQTT-3.3.1-1], or the
   * PUBREL of a QoS 2 message whose PUBREC came. Each counts in the window (the remote's Receive Maximum may be lower
   * than on the connection before); the rest go as acknowledgements make room. Returns `bytes` with what it added.
   */
  private resend(chunks: Buffer[], bytes: number): number {
    const list = this.resends!;
    const window = this.deps.window;
    while (this.inflight < window && this.resendAt < list.length) {
      const { id, msg, pubrel } = list[this.resendAt++]!;
      // Answered meanwhile (ack(), take()): nothing to send again.
      if (!this.waiting!.delete(id)) continue;
      if (pubrel) {
        const rel = mqttPacket.generate({ cmd: 'pubrel', messageId: id }, { protocolVersion: this.deps.protocolVersion });
        chunks.push(rel);
        bytes += rel.length;
        this.inflight++;
        continue;
      }
      const topicBytes = Buffer.byteLength(msg.topic);
      const unsendable = this.unsendable(topicBytes, msg.payload.length, msg.qos);
      if (unsendable !== undefined) {
        // The remote's Maximum Packet Size is lower than on the connection it was first sent on.
        this.pending.delete(id);
        if (msg.qos === 2) this.unreleased--;
        this.deps.done(msg, unsendable);
        continue;
      }
      const head = this.header(msg.qos, msg.retain, msg.topic, topicBytes, msg.payload.length, id);
      head[0] = head[0]! | 0x08; // DUP [MQTT-3.3.1-1]
      chunks.push(head, msg.payload);
      bytes += head.length + msg.payload.length;
      this.inflight++;
    }
    if (this.resendAt === list.length) this.resends = this.waiting = undefined;
    return bytes;
  }

  /**
   * A PUBLISH up to its payload [MQTT-3.3]: fixed header (DUP 0, the QoS, RETAIN), remaining length, topic name,
   * packet identifier (QoS 1/2 only), and for MQTT 5 an empty property list [MQTT-3.3.2.3]. Written here rather than
   * by mqtt-packet's generate (which the rare PUBREL uses): generate goes through its stream writer and copies the
   * payload into a packet of its own, which measured ~1.5 µs more per bridged message (3 alternating pairs of
   * bench/bridge.ts, main thread 14.0–17.5 against 15.5–19.0 ms per 1,000). test/flows/bridge-out.test.ts checks this
   * encoding against mosquitto for MQTT 3.1.1 and 5 (empty to 300 KB payloads, long and UTF-8 topics, QoS 0–2).
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
