import type { MqttMessage } from '../../server/core/events.js';
import type { Availability, Device, StateValue } from '../../server/core/model.js';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, DeviceDescriptor, OutgoingMessage } from '../convention.js';
import { guardHandle } from '../shared/guard.js';
import { MAX_CAPABILITIES_PER_DEVICE, MAX_DEVICES_PER_CONVENTION } from '../shared/limits.js';
import { quote, readJsonObject, readText } from '../shared/payload.js';
import { UpdateBuilder } from '../shared/update.js';
import { HOMIE_ID, formatValue, parseValue, readDescription, type HomieProperty } from './description.js';

// Homie v5 (homieiot/convention convention.md). Accepted topic forms, all under homie/5/<device-id>/:
//   $state                  init | ready | disconnected | sleeping | lost; empty = the device was removed
//   $description            the JSON description of nodes and properties
//   <node>/<property>       a property value, typed by its datatype
//   <node>/<property>/set   commands (ours included): ignored; likewise $target, $log/…, $alert/…
// homie/5/$broadcast/… is not a device. Homie v3/v4 (homie/<id>/$homie) are not read.

const ROOT = 'homie/5/';
const PENDING_MAX = MAX_CAPABILITIES_PER_DEVICE;

/** `sleeping` is a healthy device that wakes up on its own: its values stay valid (Homie v5 "Device lifecycle"). */
const AVAILABILITY: Record<string, Availability> = {
  init: 'unknown', ready: 'online', sleeping: 'online', disconnected: 'offline', lost: 'offline',
};

interface HomieDevice {
  id: string;
  state?: string;
  name?: string;
  properties?: Map<string, HomieProperty>;
  /** Values that arrived before the description, by `<node>/<property>`. */
  pending: Map<string, string>;
}

export const createHomieConvention: ConventionFactory = (ctx: ConventionContext): Convention => {
  const log = ctx.log.child({ convention: 'homie' });
  const devices = new Map<string, HomieDevice>();

  const descriptor = (d: HomieDevice): DeviceDescriptor => ({
    id: d.id, name: d.name ?? d.id, convention: 'homie', topic: `${ROOT}${d.id}`, availabilityTopic: `${ROOT}${d.id}/$state`,
    capabilities: [...d.properties!.values()].map((p) => p.capability),
  });

  function value(d: HomieDevice, path: string, text: string, out: UpdateBuilder): void {
    const p = d.properties!.get(path);
    if (!p) return void out.reject(`${ROOT}${d.id}/${path}: not in the device's $description`, d.id);
    const v = parseValue(p, text);
    if (!v.ok) return void out.reject(`${ROOT}${d.id}/${path}: ${v.reason}`, d.id);
    if (p.capability.kind === 'event') out.event(d.id, p.capability.property, v.value);
    else out.state(d.id, p.capability.property, v.value);
  }

  function description(d: HomieDevice, msg: MqttMessage, out: UpdateBuilder): void {
    const json = readJsonObject(msg);
    if (!json.ok) return void out.reject(`${msg.topic}: ${json.reason}`, d.id);
    const desc = readDescription(json.value);
    if (desc.problems.length) out.reject(`${msg.topic}: ${desc.problems.join('; ')}`, d.id);
    if (desc.problems.length && desc.properties.length === 0) return;
    if (desc.name !== undefined) d.name = desc.name;
    d.properties = new Map(desc.properties.map((p) => [`${p.node}/${p.id}`, p]));
    out.device(descriptor(d));
    if (d.state) out.avail(d.id, AVAILABILITY[d.state]!);
    for (const [path, text] of d.pending) if (d.properties.has(path)) value(d, path, text, out);
    d.pending.clear();
  }

  const handle = (msg: MqttMessage): ConventionUpdate | undefined => {
    const out = new UpdateBuilder();
    const [id, ...rest] = msg.topic.slice(ROOT.length).split('/');
    if (!id || !HOMIE_ID.test(id) || rest.length === 0) return undefined;
    const attr = rest[0]!;
    let d = devices.get(id);
    if (attr === '$state' && msg.payload.length === 0) {
      if (d?.properties) out.remove(id);
      devices.delete(id);
      return out.build();
    }
    if (msg.payload.length === 0 || rest.at(-1) === 'set' || attr === '$target' || attr === '$log' || attr === '$alert' || rest.at(-1) === '$target') return undefined;
    if (!d) {
      if (devices.size >= MAX_DEVICES_PER_CONVENTION) return { rejected: { deviceId: id, reason: `already ${MAX_DEVICES_PER_CONVENTION} Homie devices` } };
      devices.set(id, (d = { id, pending: new Map() }));
    }
    if (attr === '$description') description(d, msg, out);
    else {
      const text = readText(msg);
      if (!text.ok) return { rejected: { deviceId: id, reason: `${msg.topic}: ${text.reason}` } };
      if (attr === '$state') {
        const availability = AVAILABILITY[text.value];
        if (!Object.hasOwn(AVAILABILITY, text.value) || !availability) out.reject(`${msg.topic}: unknown state ${quote(text.value)}`, id);
        else {
          d.state = text.value;
          if (d.properties) out.avail(id, availability);
        }
      } else if (rest.length === 2 && !attr.startsWith('$')) {
        const path = rest.join('/');
        if (d.properties) value(d, path, text.value, out);
        else if (d.pending.size < PENDING_MAX || d.pending.has(path)) d.pending.set(path, text.value);
      }
    }
    return out.build();
  };

  return {
    name: 'homie',
    claims: (topic) => topic.startsWith(ROOT),
    // Homie v5: everything of a device lives under `homie/5/<id>/` ($state, $description, values, `/set`).
    ownedFilters: (device: Device): string[] => (device.convention === 'homie' || devices.has(device.id) ? [`${ROOT}${device.id}/#`] : []),
    handle: guardHandle('homie', log, handle),

    encodeCommand(device: Device, property: string, v: StateValue): OutgoingMessage | undefined {
      const p = [...(devices.get(device.id)?.properties?.values() ?? [])].find((x) => x.capability.property === property);
      if (!p?.capability.access.settable) return undefined;
      const payload = formatValue(p, v);
      // `/set` is never retained; QoS 2 as the convention recommends for commands.
      return payload === undefined ? undefined : { topic: `${ROOT}${device.id}/${p.node}/${p.id}/set`, payload, qos: 2, retain: false };
    },
  };
};
