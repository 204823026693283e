import type { Availability, Capability, StateValue } from '../../server/core/model.js';
import { binaryFromWord, numberFromReport } from '../shared/capability.js';
import { isObject, parseJson, quote } from '../shared/payload.js';
import type { UpdateBuilder } from '../shared/update.js';
import type { ZigbeeDevice } from './bridge.js';

// A device's JSON state on `<base>/<friendly_name>` (e.g. {"state":"ON","brightness":215,"linkquality":87}),
// read through its exposes: binary words become booleans, `action` becomes an event. Keys the exposes do not
// name (last_seen, update, elapsed...) are not properties of the device and are left out.

export function readDeviceState(device: ZigbeeDevice, text: string, out: UpdateBuilder): void {
  const json = parseJson(text);
  if (!json.ok || !isObject(json.value)) {
    out.reject(`${device.friendlyName}: state must be a JSON object (${json.ok ? 'got something else' : json.reason})`, device.id);
    return;
  }
  for (const cap of device.capabilities) {
    if (!Object.hasOwn(json.value, cap.property)) continue;
    const raw = json.value[cap.property] as StateValue;
    const value = convert(cap, raw);
    if (value === undefined) continue;
    if (cap.kind === 'event') out.event(device.id, cap.property, value);
    else out.state(device.id, cap.property, value);
  }
}

function convert(cap: Capability, raw: StateValue): StateValue | undefined {
  switch (cap.kind) {
    case 'binary':
      return binaryFromWord(cap, raw);
    case 'numeric':
      return numberFromReport(raw);
    // Zigbee2MQTT clears `action` with "" after publishing it: that is not a second press.
    case 'event':
      return typeof raw === 'string' && raw !== '' ? raw : undefined;
    case 'enum':
    case 'text':
      return typeof raw === 'string' ? raw : undefined;
  }
}

/** `{"state":"online"}` (Zigbee2MQTT 2.x) or the legacy plain `online` / `offline`. */
export function readAvailabilityWord(text: string): Availability | string {
  const trimmed = text.trim();
  let word: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    const json = parseJson(trimmed);
    word = json.ok && isObject(json.value) ? json.value.state : undefined;
  }
  if (word === 'online' || word === 'offline') return word;
  return `availability must be {"state":"online"|"offline"} or online/offline, got ${quote(text)}`;
}
