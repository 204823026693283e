import type { Aedes } from 'aedes';
import { aedesInternals, type AedesPacket } from './aedes-internals.js';
import { NumberedPackets } from './numbered-packets.js';

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
/** Told when the packet it waits for has been dispatched (a QoS 1 publish acknowledged there, durable-publish.ts). */
export interface DispatchWaiter {
  dispatched(): void;
}

export class Dispatch {
  /** The packet whose handlers are running, if any. */
  current: DispatchedPacket | undefined;
  /** Packets numbered by expect(), with who waits for each. */
  private readonly waiting: NumberedPackets<DispatchWaiter>;

  constructor(aedes: Aedes, routed: (packet: DispatchedPacket) => void) {
    const broker = aedesInternals(aedes);
    this.waiting = new NumberedPackets(broker);
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
        this.waiting.takeFor(message)?.dispatched();
      }
    };
  }

  /**
   * Numbers `packet` as aedes would (aedes keeps a number it finds) and tells `waiter` right after its dispatch,
   * unless forget() takes it back first.
   */
  expect(packet: { brokerId?: string; brokerCounter?: number }, waiter: DispatchWaiter): void {
    this.waiting.number(packet, waiter);
  }

  /** Takes back what expect() registered for `packet` (its publish failed first): true if it was still waiting. */
  forget(packet: { brokerCounter?: number }): boolean {
    return this.waiting.take(packet.brokerCounter!) !== undefined;
  }
}
