import { topicMatches } from '../mqtt/topics.js';
import type { TopicRule } from './config.js';

export interface Mapped {
  topic: string;
  qos: 0 | 1 | 2;
}

/**
 * A bridge's topic rules, compiled both ways. As in mosquitto, a message's QoS over the bridge is the lower of its
 * own and the rule's (the rule's QoS is that of the bridge's subscription). Where rules overlap the first that
 * matches decides, so a message crosses once.
 */
export class TopicRules {
  private readonly out: Array<TopicRule & { filter: string }>;
  private readonly in: Array<TopicRule & { filter: string }>;

  constructor(rules: readonly TopicRule[]) {
    this.out = rules.filter((r) => r.direction !== 'in').map((r) => ({ ...r, filter: r.local + r.pattern }));
    this.in = rules.filter((r) => r.direction !== 'out').map((r) => ({ ...r, filter: r.remote + r.pattern }));
  }

  /** The remote subscriptions the `in`/`both` rules need. */
  get subscriptions(): Array<{ filter: string; qos: 0 | 1 | 2 }> {
    return this.in.map((r) => ({ filter: r.filter, qos: r.qos }));
  }

  /** Where a local message goes on the remote broker, if an `out`/`both` rule takes it. */
  toRemote(topic: string, qos: number): Mapped | undefined {
    return map(this.out, topic, qos, (r) => r.local, (r) => r.remote);
  }

  /** Where a remote message goes in the hub, if an `in`/`both` rule takes it. */
  toLocal(topic: string, qos: number): Mapped | undefined {
    return map(this.in, topic, qos, (r) => r.remote, (r) => r.local);
  }
}

function map(rules: Array<TopicRule & { filter: string }>, topic: string, qos: number, from: (r: TopicRule) => string, to: (r: TopicRule) => string): Mapped | undefined {
  for (const r of rules) {
    if (!topicMatches(r.filter, topic)) continue;
    return { topic: to(r) + topic.slice(from(r).length), qos: Math.min(qos, r.qos) as 0 | 1 | 2 };
  }
  return undefined;
}
