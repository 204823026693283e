// Carries a rule's cause through the broker. A rule's publish comes back as a bus `message` without a client id;
// the cause the rule gave it is matched here by topic (and payload), and the state changes that message makes
// (the registry parses it synchronously while the message is dispatched) get that cause as their parent. This is
// what lets the loop guard see "rule a ← rule a ← … ← device x" when a rule's publish triggers itself.
//
// Order matters: `enter` must run before the registry's message listener, `leave` after it (hub.ts wires both).
//
// A device's report carries no cause, but the first change of a property a rule just commanded is that command's
// answer: `commanded` remembers the rule's cause per device and property for a few seconds and `answerTo` hands it
// to that change. So a loop through a real device (a rule sets a light, the light reports, the rule sets it again)
// is a chain that grows like any other, and the loop guard ends it (issue 19).

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
/**
 * Topics with a list before the expired are swept out (then again at twice as many). A list is dropped when its last
 * publish comes back, but one that never comes back (a topic the broker does not route, such as `$SYS/...`) was only
 * ever dropped by a later publish on the same topic: a rule publishing on templated topics piled them up.
 */
const MAX_TOPICS = 1024;
/** How long a device has to answer a rule's command for its report to count as the answer. */
const ANSWER_TTL_MS = 5_000;
/** Commands waiting for an answer, at most (the oldest are forgotten first). */
const MAX_ANSWERS = 10_000;

export class CauseTracker {
  private readonly expected = new Map<string, Expected[]>();
  private current?: { msg: MqttMessage; cause?: Cause };
  private readonly answers = new Map<string, Expected>();
  private sweepAt = MAX_TOPICS;

  /** The hub is about to publish this (a rule's publish, or a command: then without payload, any payload matches). */
  expect(topic: string, payload: Buffer | undefined, cause: Cause): void {
    const now = Date.now();
    let list = this.expected.get(topic);
    if (!list) {
      if (this.expected.size >= this.sweepAt) {
        this.sweep();
        // Next when the topics have doubled: a sweep that finds everything current is not repeated at every new topic.
        this.sweepAt = Math.max(MAX_TOPICS, this.expected.size * 2);
      }
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

  /** A rule commanded this device's property (DevicesApi's `commandSent`): its next change answers `cause`. */
  commanded(deviceId: string, property: string, cause: Cause): void {
    const key = `${deviceId}\u0000${property}`;
    this.answers.delete(key); // re-inserted last: the map stays in age order
    if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, { cause, at: Date.now() });
  }

  /** The cause of the command this change answers, if a rule commanded the property within ANSWER_TTL_MS (consumed). */
  answerTo(deviceId: string, property: string): Cause | undefined {
    if (this.answers.size === 0) return undefined;
    const key = `${deviceId}\u0000${property}`;
    const found = this.answers.get(key);
    if (!found) return undefined;
    this.answers.delete(key);
    return Date.now() - found.at <= ANSWER_TTL_MS ? found.cause : undefined;
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

  /** Drops the expired publishes, and the topics left with none. */
  private sweep(): void {
    const now = Date.now();
    for (const [topic, list] of this.expected) {
      while (list.length > 0 && now - list[0]!.at > EXPECT_TTL_MS) list.shift();
      if (list.length === 0) this.expected.delete(topic);
    }
  }
}
