import { Fields } from '../shared/fields.js';
import { ieeeFromIdentifier, isIeeeAddress, normalizeMac, safeId } from '../shared/ids.js';

// The `device` block of a discovery config (HA docs mqtt.markdown, "device" options): `identifiers` and/or
// `connections` name the device; every entity that repeats one of them belongs to the same device, even when it
// only carries that one identifier (HA's shared-device rule).

export interface DeviceInfo {
  /** Identifiers as given, then the aliases derived from them: any of them finds the device again. */
  ids: string[];
  name?: string;
  room?: string;
}

export function readDevice(r: Fields): DeviceInfo | undefined {
  const dev = r.child('device');
  if (!dev) return undefined;
  const identifiers = dev.strList('identifiers') ?? [];
  const ids = identifiers.map(safeId).filter(Boolean);
  for (const ident of identifiers) {
    const ieee = ieeeFromIdentifier(ident);
    if (ieee) ids.push(ieee);
  }
  const connections = dev.list('connections') ?? [];
  connections.forEach((c, i) => {
    if (!Array.isArray(c) || c.length !== 2 || typeof c[0] !== 'string' || typeof c[1] !== 'string') {
      dev.errors.push(`${dev.at('connections')}[${i}]: expected a [type, value] pair`);
      return;
    }
    // Connections identify the hardware: a MAC (Tasmota, Shelly, ESPHome) or a Zigbee IEEE address.
    const [type, value] = c as [string, string];
    const mac = type === 'mac' ? normalizeMac(value) : undefined;
    if (mac) ids.push(mac);
    else if (type === 'zigbee' && isIeeeAddress(value)) ids.push(value.toLowerCase());
    else ids.push(safeId(`${type}-${value}`));
  });
  if (ids.length === 0) {
    dev.fail('identifiers', 'a device needs identifiers or connections');
    return undefined;
  }
  const info: DeviceInfo = { ids: [...new Set(ids)] };
  const name = dev.str('name');
  const room = dev.str('suggested_area');
  if (name) info.name = name;
  if (room) info.room = room;
  return info;
}
