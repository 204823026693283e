// Device ids and property names. Ids are the device's own stable identifier (MAC, IEEE address, Shelly or Homie
// id, HA identifiers) kept as the device spells it, so the same physical device announced through two
// conventions meets at the same id. Only characters that are unsafe in URLs and logs are replaced.

const MAX_ID = 128;

export function safeId(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_.:-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned.slice(0, MAX_ID);
}

/** A property name from free text ("Power Factor" → "power_factor"); empty when nothing usable remains. */
export function propertySlug(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 64);
}

/** `E0:98:06:F1:7F:56`, `e09806f17f56` → `E09806F17F56`; undefined when it is not a 48-bit MAC. */
export function normalizeMac(raw: string): string | undefined {
  const hex = raw.replace(/[:\-.\s]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? hex : undefined;
}

/**
 * Zigbee devices: the canonical id is the one Zigbee2MQTT itself puts in its HA discovery `identifiers`
 * (`zigbee2mqtt_<ieee>`, see Koenkk/zigbee2mqtt lib/extension/homeassistant.ts), so the zigbee2mqtt and
 * homeassistant conventions produce the same id without the registry having to merge anything. The bare IEEE
 * address is an alias, for other bridges that name the device by it (HA `connections: [["zigbee", ieee]]`).
 */
export function zigbeeDeviceId(ieee: string): string {
  return `zigbee2mqtt_${ieee.toLowerCase()}`;
}

const IEEE = /^0x[0-9a-f]{16}$/i;

export function isIeeeAddress(raw: string): boolean {
  return IEEE.test(raw);
}

/** The IEEE address inside a Zigbee2MQTT identifier (`zigbee2mqtt_0x…`), if it is one. */
export function ieeeFromIdentifier(identifier: string): string | undefined {
  const m = /^zigbee2mqtt_(0x[0-9a-f]{16})$/i.exec(identifier);
  return m ? m[1]!.toLowerCase() : undefined;
}
