import { isObject } from '../shared/payload.js';
import { ABBREVIATIONS, DEVICE_ABBREVIATIONS, ORIGIN_ABBREVIATIONS } from './abbreviations.js';

// Turns a discovery payload into its long form: abbreviations expanded at every level HA expands them
// (config, device, origin, availability entries, device-based components) and the `~` base topic substituted
// into every `*_topic` value that starts or ends with `~` (HA docs "Using abbreviations and base topic";
// homeassistant/components/mqtt/discovery.py `_replace_topic_base`).

export type Config = Record<string, unknown>;

const BASE = '~';

/** Objects built here have no prototype: a `"__proto__"` key in device JSON stays an ordinary key. */
function dict(): Config {
  return Object.create(null) as Config;
}

function expandKeys(obj: Config, table: Readonly<Record<string, string>>): Config {
  const out = dict();
  for (const [key, value] of Object.entries(obj)) {
    const long = Object.hasOwn(table, key) ? table[key]! : key;
    // The long form wins when a config carries both (HA applies abbreviations without overwriting).
    if (!Object.hasOwn(out, long) || long === key) out[long] = value;
  }
  return out;
}

/** Expands one config (single-component, one `cmps` entry, or the device-level part of a device config). */
export function expandConfig(raw: Config): Config {
  const out = expandKeys(raw, ABBREVIATIONS);
  if (isObject(out.device)) out.device = expandKeys(out.device, DEVICE_ABBREVIATIONS);
  if (isObject(out.origin)) out.origin = expandKeys(out.origin, ORIGIN_ABBREVIATIONS);
  if (Array.isArray(out.availability)) {
    out.availability = out.availability.map((a) => (isObject(a) ? expandKeys(a, ABBREVIATIONS) : a));
  }
  if (isObject(out.components)) {
    const cmps = dict();
    for (const [key, value] of Object.entries(out.components)) cmps[key] = isObject(value) ? expandConfig(value) : value;
    out.components = cmps;
  }
  return out;
}

/** Substitutes `~` in topic values; the `~` key itself is dropped. Runs after expansion (keys are long). */
export function applyBaseTopic(config: Config): Config {
  const base = config[BASE];
  if (typeof base !== 'string') return config;
  const out = dict();
  for (const [key, value] of Object.entries(config)) {
    if (key === BASE) continue;
    out[key] = key.endsWith('topic') && typeof value === 'string' ? substitute(value, base) : value;
  }
  if (Array.isArray(out.availability)) {
    out.availability = out.availability.map((a) => {
      if (!isObject(a) || typeof a.topic !== 'string') return a;
      const copy = Object.assign(dict(), a);
      copy.topic = substitute(a.topic, base);
      return copy;
    });
  }
  return out;
}

function substitute(topic: string, base: string): string {
  if (topic.startsWith(BASE)) return base + topic.slice(1);
  if (topic.endsWith(BASE)) return topic.slice(0, -1) + base;
  return topic;
}

/**
 * Device-based discovery: each component sees the device-level options it does not set itself (HA docs
 * "Device discovery payload": shared options such as `state_topic`, `qos`, `availability` apply to all
 * components), then its own `~`.
 */
export function componentConfig(shared: Config, component: Config): Config {
  const merged = dict();
  for (const [key, value] of Object.entries(shared)) if (key !== 'components') merged[key] = value;
  for (const [key, value] of Object.entries(component)) merged[key] = value;
  return applyBaseTopic(merged);
}

export interface DiscoveryTopic {
  component: string;
  nodeId?: string;
  objectId: string;
}

const ID = /^[a-zA-Z0-9_-]+$/;

/** `<prefix>/<component>/[<node_id>/]<object_id>/config`; undefined when the topic is not of that form. */
export function parseDiscoveryTopic(prefix: string, topic: string): DiscoveryTopic | undefined {
  if (!topic.startsWith(prefix + '/') || !topic.endsWith('/config')) return undefined;
  const levels = topic.slice(prefix.length + 1, -'/config'.length).split('/');
  if (levels.length !== 2 && levels.length !== 3) return undefined;
  if (!levels.every((l) => ID.test(l))) return undefined;
  const [component, a, b] = levels as [string, string, string | undefined];
  return b === undefined ? { component, objectId: a } : { component, nodeId: a, objectId: b };
}
