import type { Aedes } from 'aedes';
import { aedesInternals, type AedesPacket } from './aedes-internals.js';
import { NumberedPackets } from './numbered-packets.js';

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
  /** The packets given to expect(), and their turns. */
  private readonly waiting: NumberedPackets<EmitTurn>;

  constructor(aedes: Aedes) {
    const broker = aedesInternals(aedes);
    this.waiting = new NumberedPackets(broker);
    const mq = broker.mq;
    const emit = mq.emit.bind(mq);
    mq.emit = (m: AedesPacket, cb) => {
      const message = m as AedesPacket & { brokerId?: string; brokerCounter?: number };
      const turn = this.waiting.takeFor(message);
      if (turn === undefined) return emit(m, cb);
      this.go(turn, () => emit(m, cb));
    };
  }

  /** Numbers `packet` (aedes keeps a number it finds): it reaches the router after `turn.after`'s packet. */
  expect(packet: { brokerId?: string; brokerCounter?: number }, turn: EmitTurn): void {
    this.waiting.number(packet, turn);
  }

  /** The publish of `packet` ended without reaching the router (its store failed): the turns behind it go on. */
  forget(packet: { brokerCounter?: number }, turn: EmitTurn): void {
    this.waiting.take(packet.brokerCounter!);
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
}
