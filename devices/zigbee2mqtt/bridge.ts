import type { Capability } from '../../server/core/model.js';
import type { DeviceDescriptor } from '../convention.js';
import { isIeeeAddress, zigbeeDeviceId } from '../shared/ids.js';
import { isObject, typeName } from '../shared/payload.js';
import { capabilitiesFromExposes } from './exposes.js';

// The retained `<base>/bridge/devices` list (zigbee2mqtt.io docs/guide/usage/mqtt_topics_and_messages.md): every
// paired device with `ieee_address`, `friendly_name`, `type` and `definition.exposes`. It is the source of truth
// for which devices exist: one missing from a newer list has left the network.

export interface ZigbeeDevice {
  ieee: string;
  id: string;
  friendlyName: string;
  capabilities: Capability[];
}

export interface BridgeDevices {
  devices: ZigbeeDevice[];
  problems: string[];
}

export function readBridgeDevices(list: unknown): BridgeDevices {
  const out: BridgeDevices = { devices: [], problems: [] };
  if (!Array.isArray(list)) {
    out.problems.push(`bridge/devices: expected a list, got ${typeName(list)}`);
    return out;
  }
  list.forEach((entry, i) => {
    if (!isObject(entry)) return void out.problems.push(`bridge/devices[${i}]: expected an object, got ${typeName(entry)}`);
    const { ieee_address: ieee, friendly_name: name, type } = entry;
    if (type === 'Coordinator') return;
    if (typeof ieee !== 'string' || !isIeeeAddress(ieee)) return void out.problems.push(`bridge/devices[${i}].ieee_address: expected 0x + 16 hex digits`);
    if (typeof name !== 'string' || name === '') return void out.problems.push(`bridge/devices[${i}].friendly_name: expected a string`);
    // Until the interview completes the definition is unknown: the device is announced again when it does.
    if (entry.interview_completed === false) return;
    const def = entry.definition;
    const exposes = isObject(def) && Array.isArray(def.exposes) ? def.exposes : [];
    out.devices.push({ ieee: ieee.toLowerCase(), id: zigbeeDeviceId(ieee), friendlyName: name, capabilities: capabilitiesFromExposes(exposes) });
  });
  return out;
}

export function descriptorOf(base: string, d: ZigbeeDevice): DeviceDescriptor {
  const topic = `${base}/${d.friendlyName}`;
  return {
    id: d.id,
    name: d.friendlyName,
    convention: 'zigbee2mqtt',
    topic,
    commandTopic: `${topic}/set`,
    availabilityTopic: `${topic}/availability`,
    capabilities: d.capabilities,
    aliases: [d.ieee],
  };
}
