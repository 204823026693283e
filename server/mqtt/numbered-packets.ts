/**
 * Packets rumah numbers itself before aedes routes them (aedes keeps a brokerId/brokerCounter it finds), each with
 * what waits for it, by ascending number. They reach mqemitter nearly always in that order (the same steps each), so
 * the first entry is the one: a Map of callbacks was an insert, a delete and two closures per QoS 1 message, and its
 * table rebuilt every few messages. Used at mqemitter's `_do` (dispatch.ts) and at its `emit` (emit-order.ts).
 */
export class NumberedPackets<T> {
  private readonly counters: number[] = [];
  private readonly items: T[] = [];

  constructor(private readonly broker: { id: string; counter: number }) {}

  /** Numbers `packet` as aedes would and files `item` under that number. */
  number(packet: { brokerId?: string; brokerCounter?: number }, item: T): void {
    const counter = ++this.broker.counter;
    packet.brokerId = this.broker.id;
    packet.brokerCounter = counter;
    this.counters.push(counter);
    this.items.push(item);
  }

  /** The item filed for a message being routed, removed; undefined for any other message (the common case). */
  takeFor(message: { brokerId?: string; brokerCounter?: number }): T | undefined {
    if (this.counters.length === 0 || message.brokerId !== this.broker.id) return undefined;
    return this.take(message.brokerCounter!);
  }

  /** The item filed under `counter`, removed; undefined if none. */
  take(counter: number): T | undefined {
    const counters = this.counters;
    // Numbers outside the waiting range (every QoS 0 message and every hub publish, numbered later) end here.
    if (counters.length === 0 || counter < counters[0]! || counter > counters[counters.length - 1]!) return undefined;
    if (counters[0] === counter) {
      counters.shift();
      return this.items.shift();
    }
    const i = counters.indexOf(counter);
    if (i < 0) return undefined;
    counters.splice(i, 1);
    return this.items.splice(i, 1)[0];
  }
}
