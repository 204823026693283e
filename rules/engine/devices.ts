// What rules know of devices: lookup by id, alias or topic (a rule may name a device either way, and before it
// has ever reported), each device's main property and its reading of on/off, and the states a filter selects.
// Filter results are cached until a device is added, removed or changed: an aggregate over `ourhome/+/+/light`
// on every light message then costs one read per matching device, not a walk over all devices.

import type { Device, StateValue } from '../../server/core/model.js';
import type { Registry } from '../../server/core/registry.js';
import type { StateStore } from '../../server/core/state-store.js';
import type { ExpressionHost, StateMatch } from '../expressions/index.js';
import { onOffOf } from '../on-off.js';
import { parseStateFilter, type StateFilter } from '../state-filter.js';
import { topicMatches } from '../topics.js';
import { overlayStates, type DryChange } from './dry-state.js';
import { areaKey } from '../../server/core/prettify.js';

export class DeviceIndex implements ExpressionHost {
  private byTopic?: Map<string, string>;
  private readonly filters = new Map<string, string[]>();
  private readonly mains = new Map<string, string | undefined>();

  constructor(
    private readonly registry: Registry,
    private readonly states: Pick<StateStore, 'get' | 'value'>,
    readonly now: () => number,
  ) {}

  /** The same devices seeing the states with `changes` applied (a dry run's view; nothing is written). */
  withChanges(changes: readonly DryChange[]): DeviceIndex {
    return changes.length === 0 ? this : new DeviceIndex(this.registry, overlayStates(this.states, changes, this.now()), this.now);
  }

  /** A device was added, removed or changed: cached lookups are rebuilt on next use. */
  invalidate(): void {
    this.byTopic = undefined;
    this.filters.clear();
    this.mains.clear();
  }

  resolve(ref: string): Device | undefined {
    const direct = this.registry.get(ref);
    if (direct) return direct;
    if (!this.byTopic) {
      this.byTopic = new Map();
      for (const d of this.registry.list()) this.byTopic.set(d.topic, d.id);
    }
    const id = this.byTopic.get(ref);
    return id === undefined ? undefined : this.registry.get(id);
  }

  get(deviceId: string): Device | undefined {
    return this.registry.get(deviceId);
  }

  /**
   * The property a device is about when none is named: for native devices the last level of the topic
   * (`…/kitchen/temperature` → temperature), else `state` (zigbee2mqtt, Tasmota), else its first switch, else its
   * first capability, else the first property it reported.
   */
  mainProperty(device: Device): string | undefined {
    if (this.mains.has(device.id)) return this.mains.get(device.id);
    const caps = device.capabilities;
    const last = device.topic.split('/').pop();
    const main =
      caps.find((c) => c.property === last)?.property ??
      caps.find((c) => c.property === 'state')?.property ??
      caps.find((c) => c.kind === 'binary' && c.access.settable)?.property ??
      caps.find((c) => c.kind !== 'event')?.property ??
      Object.keys(this.states.get(device.id) ?? {})[0];
    this.mains.set(device.id, main);
    return main;
  }

  /** On-ness by the capability's own words when it has them, else by the value (rules/on-off.ts). */
  isOn(device: Device, property: string, value: StateValue | undefined): boolean | undefined {
    const cap = device.capabilities.find((c) => c.property === property);
    if (cap?.kind === 'binary') {
      if (value === cap.on) return true;
      if (value === cap.off) return false;
    }
    return onOffOf(value);
  }

  value(deviceId: string, property: string): StateValue | undefined {
    return this.states.value(deviceId, property);
  }

  /** When the property last changed (state `for` conditions). */
  since(deviceId: string, property: string): number | undefined {
    return this.states.get(deviceId)?.[property]?.ts;
  }

  /** Devices a filter (topic filter or area) selects. */
  select(filter: string): Device[] {
    let ids = this.filters.get(filter);
    if (!ids) {
      const parsed = parseStateFilter(filter);
      ids = parsed.ok ? this.registry.list().filter((d) => selects(parsed.filter, d)).map((d) => d.id) : [];
      this.filters.set(filter, ids);
    }
    return ids.map((id) => this.registry.get(id)).filter((d): d is Device => d !== undefined);
  }

  // ExpressionHost

  matchStates(filter: string): readonly StateMatch[] {
    const out: StateMatch[] = [];
    for (const device of this.select(filter)) {
      const property = this.mainProperty(device);
      if (property === undefined) continue;
      const value = this.states.value(device.id, property);
      if (value === undefined) continue;
      const isOn = this.isOn(device, property, value);
      out.push({ deviceId: device.id, property, value, ...(isOn === undefined ? {} : { isOn }) });
    }
    return out;
  }

  state(ref: string, property?: string): StateValue | undefined {
    const device = this.resolve(ref);
    if (!device) return undefined;
    const prop = property ?? this.mainProperty(device);
    return prop === undefined ? undefined : this.states.value(device.id, prop);
  }
}

function selects(filter: StateFilter, device: Device): boolean {
  if (filter.kind === 'topic') return topicMatches(filter.filter, device.topic);
  // Areas are matched as the hub matches them (server/core/prettify.ts areaKey): `area:firstfloor/livingroom` still
  // selects a device whose floor and room became "First floor" and "Living room" (issue 18).
  const same = (name: string | undefined, wanted: string): boolean => name !== undefined && areaKey(name) === areaKey(wanted);
  return same(device.floor, filter.floor) && (filter.room === undefined || same(device.room, filter.room));
}
