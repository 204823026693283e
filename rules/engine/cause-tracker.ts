// Carries a rule's cause through the broker. A rule's publish comes back as a bus `message` without a client id;
// the cause the rule gave it is matched here by topic (and payload), and the state changes that message makes
// (the registry parses it synchronously while the message is dispatched) get that cause as their parent. This is
// what lets the loop guard see "rule a ← rule a ← … ← device x" when a rule's publish triggers itself.
//
// Order matters: `enter` must run before the registry's message listener, `leave` after it (hub.ts wires both).

import type { MqttMessage } from '../../server/core/events.js';
import type { Cause } from '../../server/core/model.js';

interface Expected {
  payload?: Buffer;
  cause: Cause;
  at: number;
}

/** A publish that never comes back (refused by the broker) is forgotten after this long. */
const EXPECT_TTL_MS = 10_000;
const MAX_PER_TOPIC = 256;

export class CauseTracker {
  private readonly expected = new Map<string, Expected[]>();
  private current?: { msg: MqttMessage; cause?: Cause };

  /** The hub is about to publish this (a rule's publish, or a command: then without payload, any payload matches). */
  expect(topic: string, payload: Buffer | undefined, cause: Cause): void {
    const now = Date.now();
    let list = this.expected.get(topic);
    if (!list) {
      list = [];
      this.expected.set(topic, list);
    }
    while (list.length > 0 && (now - list[0]!.at > EXPECT_TTL_MS || list.length >= MAX_PER_TOPIC)) list.shift();
    list.push({ payload, cause, at: now });
  }

  /** A message is being dispatched on the bus. */
  enter(msg: MqttMessage): void {
    this.current = { msg, cause: msg.clientId === undefined ? this.take(msg) : undefined };
  }

  /** The message's dispatch is over. */
  leave(msg: MqttMessage): void {
    if (this.current?.msg === msg) this.current = undefined;
  }

  /** The cause of the message being dispatched, when a rule published it. */
  causeOf(msg: MqttMessage): Cause | undefined {
    return this.current?.msg === msg ? this.current.cause : undefined;
  }

  /** During a message's dispatch: the cause of the rule that published it (state changes it makes inherit it). */
  get dispatching(): Cause | undefined {
    return this.current?.cause;
  }

  private take(msg: MqttMessage): Cause | undefined {
    const list = this.expected.get(msg.topic);
    if (!list) return undefined;
    const i = list.findIndex((e) => e.payload === undefined || e.payload.equals(msg.payload));
    if (i < 0) return undefined;
    const [found] = list.splice(i, 1);
    if (list.length === 0) this.expected.delete(msg.topic);
    return found!.cause;
  }
}
