import type { Capability } from '../../server/core/model.js';
import { accessOf } from '../shared/capability.js';
import { MAX_CAPABILITIES_PER_DEVICE } from '../shared/limits.js';
import { isObject } from '../shared/payload.js';

// Zigbee2MQTT exposes → capabilities (Koenkk/zigbee2mqtt.io docs/guide/usage/exposes.md). Generic features
// (binary, numeric, enum, text) carry `property` and the `access` bitmask: 1 = published in the state,
// 2 = settable with /set, 4 = readable with /get. Specific types (light, switch, cover, lock, climate, fan) wrap
// generic `features`, which are flattened: a light gives state, brightness, color_temp...
// Composite features (color_xy, color_hs: one property holding an object) and lists are not mapped yet.

const WRAPPERS = new Set(['light', 'switch', 'cover', 'lock', 'climate', 'fan']);
const ACCESS_PUBLISHED = 1;
const ACCESS_SET = 2;
const ACCESS_GET = 4;

/** The flattened capabilities, one per property (endpoint features already have distinct properties). */
export function capabilitiesFromExposes(exposes: unknown[]): Capability[] {
  const byProperty = new Map<string, Capability>();
  const walk = (items: unknown[], depth: number): void => {
    for (const item of items) {
      if (byProperty.size >= MAX_CAPABILITIES_PER_DEVICE) return;
      if (!isObject(item)) continue;
      if (typeof item.type === 'string' && WRAPPERS.has(item.type) && Array.isArray(item.features) && depth < 3) {
        walk(item.features, depth + 1);
        continue;
      }
      const cap = capability(item);
      if (cap && !byProperty.has(cap.property)) byProperty.set(cap.property, cap);
    }
  };
  walk(exposes, 0);
  return [...byProperty.values()];
}

function capability(e: Record<string, unknown>): Capability | undefined {
  if (typeof e.property !== 'string' || e.property === '' || typeof e.access !== 'number') return undefined;
  const access = accessOf((e.access & ACCESS_PUBLISHED) !== 0, (e.access & ACCESS_SET) !== 0, (e.access & ACCESS_GET) !== 0);
  const base = { property: e.property, access };
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  switch (e.type) {
    case 'binary': {
      const on = e.value_on, off = e.value_off;
      const word = (v: unknown) => (typeof v === 'string' || typeof v === 'boolean' ? v : undefined);
      return { ...base, kind: 'binary', ...defined({ on: word(on), off: word(off) }) };
    }
    case 'numeric':
      return {
        ...base, kind: 'numeric',
        ...defined({ unit: typeof e.unit === 'string' ? e.unit : undefined, min: num(e.value_min), max: num(e.value_max), step: num(e.value_step) }),
      };
    case 'enum': {
      const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [];
      // `action` is what buttons and remotes do: an event that fires triggers, never a state to keep.
      return { ...base, kind: e.property === 'action' ? 'event' : 'enum', values };
    }
    case 'text':
      return { ...base, kind: 'text' };
    default:
      return undefined;
  }
}

function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
