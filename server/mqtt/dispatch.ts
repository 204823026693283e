import type { Aedes } from 'aedes';
import { aedesInternals, type AedesPacket } from './aedes-internals.js';

export interface DispatchedPacket {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
  clientId?: string;
  brokerId?: string;
  brokerCounter?: number;
}

/** What a client's PUBLISH brings that rumah publishes again itself (QoS 1, see Broker.admitted). */
export interface ClientPublish {
  topic: string;
  payload: Buffer;
  retain: boolean;
  dup?: boolean;
  clientId?: string;
  /** MQTT 5 properties (user properties, message expiry, response topic…): forwarded as they came. */
  properties?: Record<string, unknown>;
}

/**
 * The copy of a client's QoS 1 publish that rumah publishes itself: every field aedes-packet reads, in one shape,
 * so that expect() stores into fields it already has. A spread copy to which expect() added brokerId and
 * brokerCounter was a map transition per message (1.3 µs of main thread per QoS 1 message).
 */
export function copyToPublish(p: ClientPublish): DispatchedPacket & { cmd: 'publish'; dup: boolean; properties: Record<string, unknown> | undefined } {
  // properties: aedes.publish turns a Message Expiry Interval into the absolute `messageExpiry` it stores and counts
  // down on queued and retained delivery; a copy without them lost what MQTT 5 clients sent (user properties,
  // response topic, correlation data, content type).
  // clientId: the stamp storage-quotas.ts puts on a retained publish, so the retained store knows whose it is.
  return { cmd: 'publish', brokerId: '', brokerCounter: 0, topic: p.topic, payload: p.payload, qos: 1, retain: p.retain, dup: p.dup === true, properties: p.properties, clientId: p.clientId };
}

/**
 * The moment aedes hands a packet to its subscribers: mqemitter's `_do`, which runs every matching handler at once
 * (a queued packet gets there later, in order). Three things hang on it:
 *  - the hub hears of every routed message here, in routing order (aedes's own 'publish' event comes only once every
 *    subscriber was written to: a QoS 1 message could reach the registry after a later QoS 0 one of the same device);
 *  - a QoS 1 message that stores nothing is acknowledged here, as bare aedes does, not a few event-loop turns later;
 *  - the packet being dispatched, for the duplicate filter (dedupe.ts).
 */
export class Dispatch {
  /** The packet whose handlers are running, if any. */
  current: DispatchedPacket | undefined;
  private readonly waiting = new Map<number, () => void>();
  private readonly broker: { id: string; counter: number };

  constructor(aedes: Aedes, routed: (packet: DispatchedPacket) => void) {
    const broker = aedesInternals(aedes);
    this.broker = broker;
    const mq = broker.mq;
    const dispatch = mq._do.bind(mq);
    mq._do = (m: AedesPacket, cb) => {
      const message = m as DispatchedPacket;
      const outer = this.current;
      this.current = message;
      try {
        return dispatch(m, cb);
      } finally {
        this.current = outer;
        routed(message);
        if (this.waiting.size > 0 && message.brokerId === broker.id) {
          const emitted = this.waiting.get(message.brokerCounter!);
          if (emitted) {
            this.waiting.delete(message.brokerCounter!);
            emitted();
          }
        }
      }
    };
  }

  /**
   * Numbers `packet` as aedes would (aedes keeps a number it finds) and calls `dispatched` right after its
   * dispatch. Returns a function that forgets it (the publish failed first): true if it was still waiting.
   */
  expect(packet: { brokerId?: string; brokerCounter?: number }, dispatched: () => void): () => boolean {
    const counter = ++this.broker.counter;
    packet.brokerId = this.broker.id;
    packet.brokerCounter = counter;
    this.waiting.set(counter, dispatched);
    return () => this.waiting.delete(counter);
  }
}
