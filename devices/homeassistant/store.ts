import type { Availability, Capability } from '../../server/core/model.js';
import type { DeviceDescriptor } from '../convention.js';
import type { CapabilityInfo } from '../shared/capability.js';
import { propertySlug } from '../shared/ids.js';
import type { AvailabilityState } from './availability.js';
import type { Field, FieldPlan } from './field.js';

// What the homeassistant convention knows: discovered entities grouped into devices, and the indexes the hot
// path needs (topic → entities, identifier → device). A device exists while at least one entity references it.

export interface Entity {
  /** The config topic, plus `#<component key>` for a component of a device-based config. */
  key: string;
  configTopic: string;
  component: string;
  objectId: string;
  nodeId?: string;
  uniqueId?: string;
  deviceId: string;
  fields: Field[];
  availability?: AvailabilityState;
}

export interface EntityDraft extends Omit<Entity, 'fields'> {
  plans: FieldPlan[];
}

interface DeviceRecord {
  id: string;
  name: string;
  room?: string;
  ids: Set<string>;
  entities: Set<string>;
}

export class EntityStore {
  private readonly entities = new Map<string, Entity>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly byId = new Map<string, string>();
  private readonly byTopic = new Map<string, Set<string>>();
  private readonly byConfig = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();

  get deviceCount(): number {
    return this.devices.size;
  }

  hasDevice(id: string): boolean {
    return this.devices.has(id);
  }

  get(key: string): Entity | undefined {
    return this.entities.get(key);
  }

  /** The device one of these identifiers already names (HA: any shared identifier means the same device). */
  findDevice(ids: readonly string[]): string | undefined {
    for (const id of ids) {
      const found = this.byId.get(id);
      if (found) return found;
    }
    return undefined;
  }

  /** Entities of the device other than `exceptKey`: what a new entity adds to for the per-device cap. */
  countDevice(deviceId: string, exceptKey: string): number {
    const set = this.devices.get(deviceId)?.entities;
    return set ? set.size - (set.has(exceptKey) ? 1 : 0) : 0;
  }

  countNode(nodeId: string, exceptKey: string): number {
    const set = this.byNode.get(nodeId);
    return set ? set.size - (set.has(exceptKey) ? 1 : 0) : 0;
  }

  keysOfConfig(configTopic: string): string[] {
    return [...(this.byConfig.get(configTopic) ?? [])];
  }

  onTopic(topic: string): Entity[] {
    const keys = this.byTopic.get(topic);
    return keys ? [...keys].map((k) => this.entities.get(k)!) : [];
  }

  claims(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** Adds or replaces an entity; returns it with property names made unique within its device. */
  put(draft: EntityDraft, device: { ids: string[]; name?: string; room?: string; fallbackName: string }): Entity {
    const previous = this.entities.get(draft.key);
    if (previous) this.remove(draft.key);
    let rec = this.devices.get(draft.deviceId);
    if (!rec) {
      rec = { id: draft.deviceId, name: device.name ?? device.fallbackName, ids: new Set(), entities: new Set() };
      this.devices.set(rec.id, rec);
    }
    // The name and area come from whichever config states them; a config that only references the device
    // (identifiers alone, HA's shared-device rule) changes neither.
    if (device.name) rec.name = device.name;
    if (device.room) rec.room = device.room;
    for (const id of [rec.id, ...device.ids]) {
      rec.ids.add(id);
      if (!this.byId.has(id)) this.byId.set(id, rec.id);
    }
    const { plans, ...rest } = draft;
    const entity: Entity = { ...rest, fields: this.name(rec, draft, plans) };
    this.entities.set(entity.key, entity);
    rec.entities.add(entity.key);
    add(this.byConfig, entity.configTopic, entity.key);
    if (entity.nodeId) add(this.byNode, entity.nodeId, entity.key);
    for (const topic of topicsOf(entity)) add(this.byTopic, topic, entity.key);
    return entity;
  }

  /** Removes an entity; `deviceGone` when it was the device's last one (the device goes with it). */
  remove(key: string): { deviceId: string; deviceGone: boolean } | undefined {
    const entity = this.entities.get(key);
    if (!entity) return undefined;
    this.entities.delete(key);
    drop(this.byConfig, entity.configTopic, key);
    if (entity.nodeId) drop(this.byNode, entity.nodeId, key);
    for (const topic of topicsOf(entity)) drop(this.byTopic, topic, key);
    const rec = this.devices.get(entity.deviceId)!;
    rec.entities.delete(key);
    if (rec.entities.size > 0) return { deviceId: rec.id, deviceGone: false };
    this.devices.delete(rec.id);
    for (const id of rec.ids) if (this.byId.get(id) === rec.id) this.byId.delete(id);
    return { deviceId: rec.id, deviceGone: true };
  }

  /** A field by device id (or any identifier or alias of it) and property: for commands. */
  field(deviceId: string, property: string): Field | undefined {
    const rec = this.devices.get(this.byId.get(deviceId) ?? deviceId);
    if (!rec) return undefined;
    for (const key of rec.entities) {
      const f = this.entities.get(key)!.fields.find((x) => x.property === property && x.command);
      if (f) return f;
    }
    return undefined;
  }

  /** Every topic a device's entities use: config, state, command and availability topics (its owned topics). */
  topicsOfDevice(deviceId: string): string[] {
    const rec = this.devices.get(this.byId.get(deviceId) ?? deviceId);
    if (!rec) return [];
    const topics = new Set<string>();
    for (const key of rec.entities) {
      const e = this.entities.get(key)!;
      topics.add(e.configTopic);
      for (const t of topicsOf(e)) topics.add(t);
      for (const f of e.fields) if (f.command) topics.add(f.command.topic);
    }
    return [...topics];
  }

  /** Online when any entity with availability is online, offline when all are; undefined without any. */
  availability(deviceId: string): Availability | undefined {
    const rec = this.devices.get(deviceId);
    const states = rec ? [...rec.entities].flatMap((k) => this.entities.get(k)!.availability?.value() ?? []) : [];
    if (states.length === 0) return undefined;
    if (states.includes('online')) return 'online';
    return states.every((s) => s === 'offline') ? 'offline' : 'unknown';
  }

  descriptor(deviceId: string): DeviceDescriptor | undefined {
    const rec = this.devices.get(deviceId);
    if (!rec) return undefined;
    const entities = [...rec.entities].map((k) => this.entities.get(k)!);
    const fields = entities.flatMap((e) => e.fields);
    const d: DeviceDescriptor = {
      id: rec.id,
      name: rec.name,
      convention: 'homeassistant',
      topic: fields.find((f) => f.state)?.state?.topic ?? entities[0]!.configTopic,
      capabilities: mergeCapabilities(fields),
    };
    const commandTopic = fields.find((f) => f.command)?.command?.topic;
    const availabilityTopic = entities.find((e) => e.availability)?.availability?.topics()[0];
    if (commandTopic) d.commandTopic = commandTopic;
    if (availabilityTopic) d.availabilityTopic = availabilityTopic;
    if (rec.room) d.room = rec.room;
    const aliases = [...rec.ids].filter((id) => id !== rec.id);
    if (aliases.length) d.aliases = aliases;
    return d;
  }

  /**
   * Property names unique within the device: the suggested name when free, else suffixed with the entity's
   * object id (`state`, `state_relay2`). Device triggers of one type share their property on purpose.
   */
  private name(rec: DeviceRecord, draft: EntityDraft, plans: FieldPlan[]): Field[] {
    const taken = new Map<string, Field>();
    for (const key of rec.entities) for (const f of this.entities.get(key)!.fields) taken.set(f.property, f);
    const out: Field[] = [];
    for (const plan of plans) {
      let property = plan.name;
      const other = taken.get(property);
      const shareable = other && plan.shared && other.shared && other.capability.kind === plan.capability.kind;
      if (other && !shareable) {
        const base = `${plan.name}_${propertySlug(draft.objectId) || 'x'}`;
        property = base;
        for (let n = 2; taken.has(property); n++) property = `${base}_${n}`;
      }
      const field: Field = { ...plan, property };
      taken.set(property, field);
      out.push(field);
    }
    return out;
  }
}

/** One capability per property; shared event properties list every value their triggers announce. */
function mergeCapabilities(fields: Field[]): Capability[] {
  const byProperty = new Map<string, CapabilityInfo>();
  for (const f of fields) {
    const existing = byProperty.get(f.property);
    if (existing && f.capability.kind === 'event') {
      existing.values = [...new Set([...(existing.values ?? []), ...(f.capability.values ?? [])])];
      continue;
    }
    if (!existing) byProperty.set(f.property, { property: f.property, ...f.capability });
  }
  return [...byProperty.values()];
}

function topicsOf(e: Entity): Set<string> {
  const topics = new Set<string>();
  for (const f of e.fields) if (f.state) topics.add(f.state.topic);
  for (const t of e.availability?.topics() ?? []) topics.add(t);
  return topics;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

function drop(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
