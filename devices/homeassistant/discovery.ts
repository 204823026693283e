import type { MqttMessage } from '../../server/core/events.js';
import { Fields } from '../shared/fields.js';
import { safeId } from '../shared/ids.js';
import { MAX_CAPABILITIES_PER_DEVICE, MAX_DEVICES_PER_CONVENTION, MAX_ENTITIES_PER_NODE } from '../shared/limits.js';
import { isObject, readJsonObject, typeName } from '../shared/payload.js';
import { foreignOwner, foreignTopic, refuseForeign } from '../shared/ownership.js';
import type { UpdateBuilder } from '../shared/update.js';
import type { ConventionContext } from '../convention.js';
import { AvailabilityState, readAvailability } from './availability.js';
import { builderFor } from './components/index.js';
import { readDevice, type DeviceInfo } from './device-info.js';
import { applyBaseTopic, componentConfig, expandConfig, type Config, type DiscoveryTopic } from './expand.js';
import type { EntityStore } from './store.js';

// Discovery config messages (HA docs mqtt.markdown "Discovery messages"): a JSON config creates or updates
// entities; an empty (retained) payload removes them; `migrate_discovery` unloads a single-component config
// that is moving into a device-based one, without removing the device.

const ID = /^[a-zA-Z0-9_-]+$/;

export class Discovery {
  constructor(private readonly store: EntityStore, private readonly ctx: Pick<ConventionContext, 'getDevice' | 'topicOwner'>) {}

  handle(msg: MqttMessage, where: DiscoveryTopic, out: UpdateBuilder): void {
    if (msg.payload.length === 0) {
      for (const key of this.store.keysOfConfig(msg.topic)) this.removeEntity(key, out);
      return;
    }
    const read = readJsonObject(msg);
    if (!read.ok) {
      out.reject(`${msg.topic}: ${read.reason}`);
      return;
    }
    const config = expandConfig(read.value);
    if (where.component === 'device') this.deviceConfig(msg, where, config, out);
    else this.singleConfig(msg, where, applyBaseTopic(config), out);
  }

  private singleConfig(msg: MqttMessage, where: DiscoveryTopic, config: Config, out: UpdateBuilder): void {
    const topic = msg.topic;
    if (config.migrate_discovery === true) {
      // The device-based config that follows takes the entity over: dropping it here must not remove the device.
      this.store.remove(topic);
      return;
    }
    const r = new Fields(config);
    const device = readDevice(r);
    const error = this.apply(msg, topic, where.component, where, r, device, out);
    if (error) out.reject(`${topic}: ${error}`, device && this.store.findDevice(device.ids));
  }

  private deviceConfig(msg: MqttMessage, where: DiscoveryTopic, config: Config, out: UpdateBuilder): void {
    const topic = msg.topic;
    const r = new Fields(config);
    const device = readDevice(r);
    if (!device && !r.errors.length) r.fail('device', 'is required in device-based discovery');
    const origin = r.child('origin');
    if (!origin) r.fail('origin', 'is required in device-based discovery');
    else origin.str('name', true);
    const cmps = r.child('components');
    if (!cmps && !r.has('components')) r.fail('components', 'is required in device-based discovery');
    const keys = cmps ? Object.keys(cmps.obj) : [];
    if (keys.length > MAX_CAPABILITIES_PER_DEVICE) r.fail('components', `${keys.length} components exceed the limit of ${MAX_CAPABILITIES_PER_DEVICE}`);
    if (r.errors.length || !device || !cmps) {
      out.reject(`${topic}: ${r.errors.join('; ')}`, device && this.store.findDevice(device.ids));
      return;
    }
    const problems: string[] = [];
    const present = new Set<string>();
    for (const key of keys) {
      const entityKey = `${topic}#${key}`;
      const cmp = cmps.obj[key];
      if (!ID.test(key)) problems.push(`components.${key}: component keys may only use [a-zA-Z0-9_-]`);
      else if (!isObject(cmp)) problems.push(`components.${key}: expected an object, got ${typeName(cmp)}`);
      else if (typeof cmp.platform !== 'string') problems.push(`components.${key}.platform: is required`);
      // `{"p": "sensor"}` alone removes that component (HA docs "Device discovery: removing a component").
      else if (Object.keys(cmp).length === 1) this.removeEntity(entityKey, out);
      else {
        present.add(entityKey);
        const cr = new Fields(componentConfig(config, cmp), `components.${key}`);
        cr.str('unique_id', true);
        const error = this.apply(msg, entityKey, cmp.platform, { ...where, objectId: key }, cr, device, out);
        if (error) problems.push(error);
      }
    }
    // A component that disappears from the device's config is gone too: the config describes the whole device.
    for (const key of this.store.keysOfConfig(topic)) if (!present.has(key)) this.removeEntity(key, out);
    if (problems.length) out.reject(`${topic}: ${problems.join('; ')}`, this.store.findDevice(device.ids));
  }

  /** Builds and stores one entity; returns the reason when the config is unusable (the old entity stays). */
  private apply(
    msg: MqttMessage,
    key: string,
    component: string,
    where: DiscoveryTopic,
    r: Fields,
    device: DeviceInfo | undefined,
    out: UpdateBuilder,
  ): string | undefined {
    const builder = builderFor(component);
    if (typeof builder === 'string') return builder;
    const plans = builder(r, { component, objectId: where.objectId });
    const availability = readAvailability(r);
    const uniqueId = r.str('unique_id');
    const name = r.str('name');
    if (r.errors.length) return r.errors.join('; ');
    if (plans.length === 0) return `${component} config yields no usable property`;
    const ids = device?.ids ?? [`ha_${safeId(uniqueId ?? [component, where.nodeId, where.objectId].filter(Boolean).join('_'))}`];
    const deviceId = this.store.findDevice(ids) ?? ids[0]!;
    // HA joins configs that share an identifier into one device; from another account's publisher that would be a
    // takeover (its state topic setting the device's properties, its command topic receiving the device's commands).
    for (const id of [deviceId, ...ids]) {
      const owner = foreignOwner(this.ctx, id, msg);
      if (owner) {
        const victim = this.ctx.getDevice(id)!.id;
        refuseForeign(out, msg, `${msg.topic}: device ${victim} belongs to account ${owner}; a config from ${msg.username} may not join or re-point it`, victim);
        return undefined;
      }
    }
    if (this.store.countDevice(deviceId, key) >= MAX_CAPABILITIES_PER_DEVICE) {
      return `device ${deviceId} already has ${MAX_CAPABILITIES_PER_DEVICE} entities; refusing more`;
    }
    if (!this.store.hasDevice(deviceId) && this.store.deviceCount >= MAX_DEVICES_PER_CONVENTION) {
      return `already ${MAX_DEVICES_PER_CONVENTION} discovered devices; refusing more`;
    }
    if (where.nodeId && this.store.countNode(where.nodeId, key) >= MAX_ENTITIES_PER_NODE) {
      return `node ${where.nodeId} already has ${MAX_ENTITIES_PER_NODE} entities; refusing more`;
    }
    // Re-announcing (after `homeassistant/status online`) must not forget the availability already known.
    const previous = this.store.get(key)?.availability;
    const state = availability && (previous?.sameSpec(availability) ? previous : new AvailabilityState(availability));
    // Its state, command and availability topics must not be another account's: the hub would send this device's
    // commands to that account's device, and read that device's reports as this one's.
    const taken = foreignTopic(this.ctx, [...plans.flatMap((p) => [p.state?.topic, p.command?.topic].filter((t): t is string => t !== undefined)), ...(state?.topics() ?? [])], msg);
    if (taken) {
      refuseForeign(out, msg, `${msg.topic}: ${taken.topic} belongs to a device of account ${taken.owner}; a config from ${msg.username} may not use it`, deviceId);
      return undefined;
    }
    const entity = this.store.put(
      {
        key, configTopic: msg.topic, component, objectId: where.objectId, deviceId, plans,
        ...(where.nodeId ? { nodeId: where.nodeId } : {}),
        ...(uniqueId ? { uniqueId } : {}),
        ...(state ? { availability: state } : {}),
      },
      { ids, ...(device?.name ? { name: device.name } : {}), ...(device?.room ? { room: device.room } : {}), fallbackName: name ?? where.objectId },
    );
    out.device(this.store.descriptor(entity.deviceId)!);
    const avail = this.store.availability(entity.deviceId);
    if (avail && avail !== 'unknown') out.avail(entity.deviceId, avail);
    return undefined;
  }

  private removeEntity(key: string, out: UpdateBuilder): void {
    const gone = this.store.remove(key);
    if (!gone) return;
    if (gone.deviceGone) out.remove(gone.deviceId);
    else out.device(this.store.descriptor(gone.deviceId)!);
  }
}
