// The durable QoS 1 path: a QoS 1 PUBLISH is stored (retained message, offline queues) before its PUBACK, and every
// QoS 1 publish of a client keeps its order against the client's other publishes (publish-order.ts).
import type { Aedes, Client } from 'aedes';
import { aedesInternals, clientInternals } from './aedes-internals.js';
import { copyToPublish, type ClientPublish, type Dispatch, type DispatchedPacket } from './dispatch.js';
import type { EmitOrder, EmitTurn } from './emit-order.js';
import { OrderedTask, type PublishKind, type PublishOrder } from './publish-order.js';
import { sinkTopic } from './sink.js';

export interface DurablePublishDeps {
  aedes: Aedes;
  dispatch: Dispatch;
  order: PublishOrder;
  emits: EmitOrder;
  /** broker.db stores QoS 1 messages (false with `mqtt.persistence: memory`). */
  durable: boolean;
  /** Whether a QoS 1 message on this topic is queued for an offline session (stored); unknown: assumed so. */
  queues?: (topic: string) => boolean;
}

type Done = (err?: Error | null) => void;
type InboundPublish = { topic: string; retain: boolean; qos?: number; messageId?: number };

export class DurablePublish {
  constructor(private readonly deps: DurablePublishDeps) {}

  /** A publish the ACL, quotas, budgets and flow control let in: routed in order; a QoS 1 one acknowledged once stored. */
  admitted(client: Client, packet: { topic: string; retain: boolean }, cb: Done): void {
    // Every QoS 1 publish takes the ordered path (publish-order.ts), also those nothing stores: aedes's own QoS 1
    // order (PUBACK written, then published) lets a later QoS 0 message from the same client overtake it.
    const qos1 = this.deps.durable && (packet as InboundPublish).qos === 1;
    if (!qos1) {
      if (this.deps.order.idle(client.id)) return cb(null);
      return this.deps.order.run(client.id, new HeldBack(this.deps.order, cb));
    }
    const queued = this.deps.queues?.(packet.topic) ?? true;
    const kind: PublishKind = queued ? (packet.retain ? 'serial' : 'queued') : packet.retain ? 'retained' : 'pipelined';
    this.deps.order.run(client.id, new Qos1Publish(kind, this.deps, client, packet as InboundPublish, cb));
  }
}

/** A QoS 0 message behind something of its client still on its way: handed back to aedes in its turn. */
class HeldBack extends OrderedTask {
  constructor(private readonly order: PublishOrder, private readonly cb: Done) {
    super('free');
  }

  start(): void {
    this.order.routed(this);
  }

  finish(): void {
    this.cb(null);
  }
}

/**
 * One QoS 1 publish on its way: one object where the earlier shape made a closure per step (the task, the dispatch
 * callback and its `forget`, aedes's callback, two `then`s). aedes 1.2 writes a QoS 1 PUBACK before it stores the
 * message (lib/handlers/publish.js), so an acknowledged message could be lost in a crash. We publish a copy
 * ourselves first — retained store and offline queues are committed when aedes's callback runs — then acknowledge
 * it (finish). A failed store fails the publish: no PUBACK, the client is disconnected and will resend
 * (MQTT-4.4.0-1). A message that stores nothing is acknowledged at its dispatch (dispatch.ts), as bare aedes does.
 */
class Qos1Publish extends OrderedTask implements EmitTurn {
  // Its turn at the router, for a `queued` one (emit-order.ts).
  after: EmitTurn | undefined = undefined;
  emitted = false;
  parked: (() => void) | undefined = undefined;
  next: EmitTurn | undefined = undefined;
  /** What rumah publishes (dispatch.ts copyToPublish), made when the task starts. */
  private copy: DispatchedPacket | undefined = undefined;
  /** Set by the store's failure: finish() hands it to aedes instead of acknowledging. */
  private err: Error | undefined = undefined;

  constructor(kind: PublishKind, private readonly deps: DurablePublishDeps, private readonly client: Client, private readonly packet: InboundPublish, private readonly cb: Done) {
    super(kind);
  }

  start(): void {
    const copy = (this.copy = copyToPublish(this.packet as unknown as ClientPublish));
    if (this.kind === 'pipelined') this.deps.dispatch.expect(copy, this);
    else if (this.kind === 'queued') {
      // Started with the group: the one before it in the client's queue (publish-order.ts runs this right after
      // putting it last) is routed first.
      const running = this.queue!.running;
      const before = running.length > 1 ? running[running.length - 2] : undefined;
      this.after = before instanceof Qos1Publish && !before.emitted ? before : undefined;
      this.deps.emits.expect(copy, this);
    }
    aedesInternals(this.deps.aedes).publish(copy, this.client, (err) => this.published(err ?? undefined));
  }

  /** Dispatch: the copy was handed to its subscribers (only a pipelined one waits for this). */
  dispatched(): void {
    this.deps.order.routed(this);
  }

  /** aedes's callback: stored and routed, or failed. */
  private published(err: Error | undefined): void {
    // Routed at its dispatch already; a pipelined one still waiting there failed before it and is taken back.
    if (this.kind === 'pipelined' && !this.deps.dispatch.forget(this.copy!)) return;
    // A queued one reached the router before this callback; if it failed first, the ones behind it go on.
    if (this.kind === 'queued') this.deps.emits.forget(this.copy!, this);
    this.err = err;
    this.deps.order.routed(this);
  }

  finish(): void {
    if (this.err) return this.cb(this.err);
    const p = this.packet;
    // As aedes's own write(): `connected` turns true only after the whole CONNECT sequence (a queued session's
    // messages sent), and a client may publish as soon as it has its CONNACK; a PUBACK skipped then hung it.
    const c = clientInternals(this.client);
    if (c.connected || c.connecting) {
      // Reason code 0 (Success) with no properties: two bytes in every version [MQTT-3.4.2-1].
      (this.client.conn as unknown as NodeJS.WritableStream).write(pubackBytes(p.messageId!));
    }
    // The PUBACK is written; aedes goes on with the packet turned into a QoS 0 one for the sink topic, which ends
    // there (sink.ts) and acknowledges nothing more. (Left QoS 1, aedes wrote a second PUBACK and published again.)
    p.topic = sinkTopic;
    p.retain = false;
    p.qos = 0;
    this.cb(null);
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
