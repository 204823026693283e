import type { Aedes } from 'aedes';
import { aedesInternals, type AedesPacket } from './aedes-internals.js';

/** A stored QoS 1 publish waiting for its turn at aedes's router (durable-publish.ts). */
export interface EmitTurn {
  /** The publish of the same client just before it, while that one may not have reached the router yet. */
  after: EmitTurn | undefined;
  emitted: boolean;
  /** Its own emit, held until `after` has emitted. */
  parked: (() => void) | undefined;
  /** The turn parked behind this one. */
  next: EmitTurn | undefined;
}

/**
 * QoS 1 publishes of one client that are queued for a stored session start together (publish-order.ts `queued`), so
 * that their writes share a commit; each reaches aedes's router (mqemitter's `emit`) only after the one before it.
 * Their routes are not always the same steps — a session may unsubscribe between two of them, and then the later one
 * stores nothing and would be routed at once, ahead of the earlier one still waiting for its commit; copies for
 * several Subscription Identifiers are queued in more promises (queued-identifiers.ts) — so the order is kept here,
 * at the router's door, not by counting steps. One at a time instead, a publisher's messages to a topic a persistent
 * session follows waited for a commit each: 500 messages a second per connection queued up behind each other (p50
 * 19.6 ms, p99 135 ms at 5,000 msg/s, bench/tails.ts's load with the subscriber's session stored).
 */
export class EmitOrder {
  /** Numbers of the packets given to expect(), ascending, and their turns. */
  private readonly counters: number[] = [];
  private readonly turns: EmitTurn[] = [];
  private readonly broker: { id: string; counter: number };

  constructor(aedes: Aedes) {
    const broker = aedesInternals(aedes);
    this.broker = broker;
    const mq = broker.mq;
    const emit = mq.emit.bind(mq);
    mq.emit = (m: AedesPacket, cb) => {
      const message = m as AedesPacket & { brokerId?: string; brokerCounter?: number };
      const turn = this.counters.length > 0 && message.brokerId === broker.id ? this.take(message.brokerCounter!) : undefined;
      if (turn === undefined) return emit(m, cb);
      this.go(turn, () => emit(m, cb));
    };
  }

  /** Numbers `packet` (aedes keeps a number it finds): it reaches the router after `turn.after`'s packet. */
  expect(packet: { brokerId?: string; brokerCounter?: number }, turn: EmitTurn): void {
    const counter = ++this.broker.counter;
    packet.brokerId = this.broker.id;
    packet.brokerCounter = counter;
    this.counters.push(counter);
    this.turns.push(turn);
  }

  /** The publish of `packet` ended without reaching the router (its store failed): the turns behind it go on. */
  forget(packet: { brokerCounter?: number }, turn: EmitTurn): void {
    this.take(packet.brokerCounter!);
    if (turn.emitted) return;
    turn.emitted = true;
    this.release(turn);
  }

  private go(turn: EmitTurn, emit: () => void): void {
    const after = turn.after;
    if (after !== undefined && !after.emitted) {
      turn.parked = emit;
      after.next = turn;
      return;
    }
    turn.after = undefined;
    turn.emitted = true;
    emit();
    this.release(turn);
  }

  private release(turn: EmitTurn): void {
    for (let t = turn.next; t !== undefined; t = t.next) {
      const emit = t.parked;
      if (emit === undefined) return; // not at the door yet: it finds `emitted` set when it comes
      t.parked = undefined;
      t.after = undefined;
      t.emitted = true;
      emit();
    }
  }

  /** The turn waiting for `counter`, removed; undefined if none. */
  private take(counter: number): EmitTurn | undefined {
    const counters = this.counters;
    if (counters.length === 0 || counter < counters[0]! || counter > counters[counters.length - 1]!) return undefined;
    const i = counters[0] === counter ? 0 : counters.indexOf(counter);
    if (i < 0) return undefined;
    if (i === 0) {
      counters.shift();
      return this.turns.shift();
    }
    counters.splice(i, 1);
    return this.turns.splice(i, 1)[0];
  }
}
