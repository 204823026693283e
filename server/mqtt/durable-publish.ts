// The durable QoS 1 path: a QoS 1 PUBLISH is stored (retained message, offline queues) before its PUBACK, and every
// QoS 1 publish of a client keeps its order against the client's other publishes (publish-order.ts).
import type { Aedes, Client } from 'aedes';
import { aedesInternals, clientInternals } from './aedes-internals.js';
import { copyToPublish, type ClientPublish, type Dispatch } from './dispatch.js';
import type { PublishKind, PublishOrder } from './publish-order.js';
import { sinkTopic } from './sink.js';

export interface DurablePublishDeps {
  aedes: Aedes;
  dispatch: Dispatch;
  order: PublishOrder;
  /** broker.db stores QoS 1 messages (false with `mqtt.persistence: memory`). */
  durable: boolean;
  /** Whether a QoS 1 message on this topic is queued for an offline session (stored); unknown: assumed so. */
  queues?: (topic: string) => boolean;
}

export class DurablePublish {
  constructor(private readonly deps: DurablePublishDeps) {}

  /** A publish the ACL, quotas, budgets and flow control let in: routed in order; a QoS 1 one acknowledged once stored. */
  admitted(client: Client, packet: { topic: string; retain: boolean }, cb: (err?: Error | null) => void): void {
    // Every QoS 1 publish takes the ordered path (publish-order.ts), also those nothing stores: aedes's own QoS 1
    // order (PUBACK written, then published) lets a later QoS 0 message from the same client overtake it.
    const qos1 = this.deps.durable && (packet as { qos?: number }).qos === 1;
    if (!qos1 && this.deps.order.idle(client.id)) return cb(null);
    const queued = this.deps.queues?.(packet.topic) ?? true;
    const kind: PublishKind = !qos1 ? 'free' : queued ? 'serial' : packet.retain ? 'retained' : 'pipelined';
    this.deps.order.run(client.id, kind, (routed) => {
      if (!qos1) return routed(() => cb(null));
      const original = copyToPublish(packet as ClientPublish);
      // Stored: acknowledged once published, i.e. committed. Nothing to store: once dispatched (dispatch.ts).
      const forget = kind === 'pipelined' ? this.deps.dispatch.expect(original, () => routed(() => this.acknowledge(client, packet, cb))) : undefined;
      this.publishFirst(client, original, (err) => {
        if (forget && !forget()) return;
        routed(() => (err ? cb(err) : this.acknowledge(client, packet, cb)));
      });
    });
  }

  /**
   * aedes 1.2 writes a QoS 1 PUBACK before it stores the message (lib/handlers/publish.js), so an acknowledged
   * message could be lost in a crash. We publish it ourselves first — retained store and offline queues are
   * committed when the callback runs — then acknowledge it (below). A failed store fails the publish: no PUBACK,
   * the client is disconnected and will resend (MQTT-4.4.0-1).
   */
  private publishFirst(client: Client, original: object, done: (err?: Error) => void): void {
    aedesInternals(this.deps.aedes).publish(original, client, (err) => done(err ?? undefined));
  }

  /**
   * The PUBACK, written here; aedes then goes on with the packet turned into a QoS 0 one for the sink topic: it
   * publishes that (to no one) and acknowledges nothing more. (Left QoS 1, aedes wrote the PUBACK and published the
   * sink a setImmediate later: a second QoS 1 publish per message.)
   */
  private acknowledge(client: Client, packet: { topic: string; retain: boolean }, cb: (err?: Error | null) => void): void {
    const p = packet as { topic: string; retain: boolean; qos: number; messageId?: number };
    // As aedes's own write(): `connected` turns true only after the whole CONNECT sequence (a queued session's
    // messages sent), and a client may publish as soon as it has its CONNACK; a PUBACK skipped then hung it.
    const c = clientInternals(client);
    if (c.connected || c.connecting) {
      // Reason code 0 (Success) with no properties: two bytes in every version [MQTT-3.4.2-1].
      (client.conn as unknown as NodeJS.WritableStream).write(pubackBytes(p.messageId!));
    }
    p.topic = sinkTopic;
    p.retain = false;
    p.qos = 0;
    cb(null);
  }
}

/**
 * A PUBACK with reason Success and no properties, the same four bytes in 3.1.1 and 5: type 4 with flags 0, remaining
 * length 2, the packet identifier [MQTT-3.4.2-1]. One write; mqtt-packet's writeToStream makes three of it.
 */
function pubackBytes(messageId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = 0x40;
  b[1] = 2;
  b.writeUInt16BE(messageId, 2);
  return b;
}
