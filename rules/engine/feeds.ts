// What triggers, waits and keep blocks listen to, indexed so that one hub event reaches only the rules it concerns:
// mqtt filters in a topic trie, states by (device, property), events and availability by device. A device may be
// named by id or by topic; both keys are looked up on dispatch. A topic filter (`ourhome/+/+/light`: every light,
// the `topic:` of a state, event or availability trigger) goes into a trie matched against the device's topic.
// Every subscriber is isolated: one that throws is logged and the others still run.

import type { HubEvents, MqttMessage, StateChange } from '../../server/core/events.js';
import type { Cause } from '../../server/core/model.js';
import type { Logger } from '../../server/core/logger.js';
import { TopicTrie } from './topic-trie.js';

export type MqttSubscriber = (msg: MqttMessage, levels: readonly string[], cause: Cause) => void;
export type StateSubscriber = (change: StateChange, cause: Cause) => void;
export type EventSubscriber = (event: HubEvents['deviceEvent']) => void;
export type AvailabilitySubscriber = (event: HubEvents['availabilityChanged']) => void;

const ANY = '*';

interface FilteredState {
  property: string | undefined;
  fn: StateSubscriber;
}

export class Feeds {
  private readonly trie = new TopicTrie<MqttSubscriber>();
  private readonly states = new Map<string, Map<string, Set<StateSubscriber>>>();
  private readonly anyState = new Set<StateSubscriber>();
  private readonly events = new Map<string, Set<EventSubscriber>>();
  private readonly availability = new Map<string, Set<AvailabilitySubscriber>>();
  private readonly stateFilters = new TopicTrie<FilteredState>();
  private readonly eventFilters = new TopicTrie<EventSubscriber>();
  private readonly availabilityFilters = new TopicTrie<AvailabilitySubscriber>();

  constructor(private readonly log: Logger) {}

  /** Whether any rule follows state changes: the bus's hot path skips the rest when none does. */
  get stateSubscribed(): boolean {
    return this.states.size > 0 || this.anyState.size > 0 || this.stateFilters.size > 0;
  }

  get mqttSubscribers(): number {
    return this.trie.size;
  }

  mqtt(filter: string, fn: MqttSubscriber): () => void {
    return this.trie.add(filter, fn);
  }

  /** The devices whose topic matches `filter` (MQTT wildcards): their property, or every property. */
  stateByTopic(filter: string, property: string | undefined, fn: StateSubscriber): () => void {
    return this.stateFilters.add(filter, { property, fn });
  }

  eventByTopic(filter: string, fn: EventSubscriber): () => void {
    return this.eventFilters.add(filter, fn);
  }

  availabilityByTopic(filter: string, fn: AvailabilitySubscriber): () => void {
    return this.availabilityFilters.add(filter, fn);
  }

  /** A device's property (or every property: `property` undefined); `ref` is a device id or topic. */
  state(ref: string, property: string | undefined, fn: StateSubscriber): () => void {
    let byProperty = this.states.get(ref);
    if (!byProperty) {
      byProperty = new Map();
      this.states.set(ref, byProperty);
    }
    const key = property ?? ANY;
    let set = byProperty.get(key);
    if (!set) {
      set = new Set();
      byProperty.set(key, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) byProperty.delete(key);
      if (byProperty.size === 0) this.states.delete(ref);
    };
  }

  /** Every state change (waits and keep blocks, which may read anything). */
  anyStateChange(fn: StateSubscriber): () => void {
    this.anyState.add(fn);
    return () => this.anyState.delete(fn);
  }

  event(ref: string, fn: EventSubscriber): () => void {
    return addTo(this.events, ref, fn);
  }

  availabilityChange(ref: string, fn: AvailabilitySubscriber): () => void {
    return addTo(this.availability, ref, fn);
  }

  dispatchMessage(msg: MqttMessage, cause: Cause): void {
    if (this.trie.size === 0) return;
    const levels = msg.topic.split('/');
    for (const fn of this.trie.match(levels)) this.call(fn, msg, levels, cause);
  }

  /** `keys`: the device's id and topic; `topic`: the device's topic, for the subscribers by topic filter. */
  dispatchState(change: StateChange, cause: Cause, keys: readonly string[], topic?: string): void {
    for (const key of keys) {
      const byProperty = this.states.get(key);
      if (!byProperty) continue;
      for (const fn of byProperty.get(change.property) ?? []) this.call(fn, change, cause);
      for (const fn of byProperty.get(ANY) ?? []) this.call(fn, change, cause);
    }
    if (topic !== undefined && this.stateFilters.size > 0) {
      for (const f of this.stateFilters.match(topic.split('/'))) if (f.property === undefined || f.property === change.property) this.call(f.fn, change, cause);
    }
    for (const fn of this.anyState) this.call(fn, change, cause);
  }

  dispatchEvent(event: HubEvents['deviceEvent'], keys: readonly string[], topic?: string): void {
    for (const key of keys) for (const fn of this.events.get(key) ?? []) this.call(fn, event);
    if (topic !== undefined && this.eventFilters.size > 0) for (const fn of this.eventFilters.match(topic.split('/'))) this.call(fn, event);
  }

  dispatchAvailability(event: HubEvents['availabilityChanged'], keys: readonly string[], topic?: string): void {
    for (const key of keys) for (const fn of this.availability.get(key) ?? []) this.call(fn, event);
    if (topic !== undefined && this.availabilityFilters.size > 0) for (const fn of this.availabilityFilters.match(topic.split('/'))) this.call(fn, event);
  }

  private call<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
    try {
      fn(...args);
    } catch (err) {
      this.log.error({ err }, 'rule trigger failed');
    }
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, fn: T): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(fn);
  return () => {
    set.delete(fn);
    if (set.size === 0) map.delete(key);
  };
}
