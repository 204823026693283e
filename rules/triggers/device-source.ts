// How a device-related trigger (state, event, availability) names what it listens to, the same way for all of them
// and for numeric: `device` (a device id, alias or the topic it reports on: one device, also before it has
// reported) or `topic` (a topic filter over the devices' topics, `+`, `#` and `{name}` levels: several devices,
// `ourhome/+/+/light` is every light; the named levels become variables of the run, as in an mqtt trigger).

import type { DeviceIndex } from '../engine/devices.js';
import type { AvailabilitySubscriber, EventSubscriber, Feeds, StateSubscriber } from '../engine/feeds.js';
import { matchTopicPattern, parseTopicPattern, type TopicPattern } from '../topics.js';
import type { Vars } from './types.js';

export interface DeviceSource {
  /** A device id or topic (`device`), or the MQTT filter of the `topic` pattern. */
  ref: string;
  /** How the rule named it, for reasons in traces. */
  label: string;
  pattern?: TopicPattern;
}

/** Throws on a topic the schema would have refused (it validated the file before). */
export function deviceSource(devices: Pick<DeviceIndex, 'resolve'>, config: { device?: string; topic?: string }): DeviceSource {
  if (config.topic !== undefined) {
    const parsed = parseTopicPattern(config.topic);
    if (!parsed.ok) throw new Error(parsed.message);
    return { ref: parsed.pattern.filter, label: config.topic, pattern: parsed.pattern };
  }
  const device = config.device!;
  return { ref: devices.resolve(device)?.id ?? device, label: device };
}

/** The named levels of the source's topic pattern, bound to the device's topic (none for `device`). */
export function sourceVars(source: DeviceSource, deviceTopic: string | undefined): Vars {
  if (!source.pattern || deviceTopic === undefined) return {};
  return { ...matchTopicPattern(source.pattern, deviceTopic) };
}

/** Dry runs: is the device (by id or topic) one the source names? */
export function sourceSelects(devices: Pick<DeviceIndex, 'resolve'>, source: DeviceSource, ref: string): boolean {
  const device = devices.resolve(ref);
  if (source.pattern) return matchTopicPattern(source.pattern, device?.topic ?? ref) !== undefined;
  return (device?.id ?? ref) === source.ref;
}

/** Subscribes to the source's state changes: one device by id or topic, or the devices a topic filter selects. */
export function onState(feeds: Feeds, source: DeviceSource, property: string | undefined, fn: StateSubscriber): () => void {
  return source.pattern ? feeds.stateByTopic(source.ref, property, fn) : feeds.state(source.ref, property, fn);
}

export function onEvent(feeds: Feeds, source: DeviceSource, fn: EventSubscriber): () => void {
  return source.pattern ? feeds.eventByTopic(source.ref, fn) : feeds.event(source.ref, fn);
}

export function onAvailability(feeds: Feeds, source: DeviceSource, fn: AvailabilitySubscriber): () => void {
  return source.pattern ? feeds.availabilityByTopic(source.ref, fn) : feeds.availabilityChange(source.ref, fn);
}
