// How a device-related trigger (state, event, availability) names what it listens to, the same way for all of them
// and for numeric: `device` (a device id, alias or the topic it reports on: one device, also before it has
// reported) or `topic` (a topic filter over the devices' topics, `+`, `#` and `{name}` levels: several devices,
// `ourhome/+/+/light` is every light; the named levels become variables of the run, as in an mqtt trigger).

import type { DeviceIndex } from '../engine/devices.js';
import { matchTopicPattern, parseTopicPattern, type TopicPattern } from '../topics.js';
import type { Vars } from './types.js';

export interface DeviceSource {
  /** What the feeds are keyed by: a device id, a topic, or a topic filter (feeds.ts puts filters in a trie). */
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
