import type { Capability, StateValue } from './model.js';

// A binary value in the device's own words (docs/dashboard.md "Honest states"): a contact is Open or Closed, a
// motion sensor Detected or Clear, never "On". Used by tiles, the device page's table and chart labels
// (`binaryLabels` gives both words for an axis or a timeline band). The hub stores binaries as booleans (true = the
// capability's `on` word); these functions only choose the words to show.
//
// The words, first that applies:
//   1. the capability's device class (Home Assistant binary_sensor `device_class`), in HA's English words
//      (developers.home-assistant.io, "Binary sensor entity": "On means open, Off means closed"...;
//      homeassistant/components/binary_sensor/strings.json for the short forms);
//   2. the device's own words, when they are not a bare on/off (`open`/`closed`, `detected`/`clear`, `LOCKED`...):
//      "Open", "Closed", "Detected", "Locked";
//   3. a class from the property's name, for conventions that name but do not class their properties
//      (Zigbee2MQTT's `contact`, `occupancy`, `water_leak`; native `motion`...), as Zigbee2MQTT's own HA discovery
//      classes them (and as rumah's HA export does, server/export/ha-config.ts);
//   4. On / Off.

export interface BinaryLabels {
  on: string;
  off: string;
}

/** Home Assistant's binary_sensor device classes and the words it shows for on and off. */
const classWords: Record<string, BinaryLabels> = {
  battery: { on: 'Low', off: 'Normal' },
  battery_charging: { on: 'Charging', off: 'Not charging' },
  carbon_monoxide: { on: 'Detected', off: 'Clear' },
  co: { on: 'Detected', off: 'Clear' },
  cold: { on: 'Cold', off: 'Normal' },
  connectivity: { on: 'Connected', off: 'Disconnected' },
  door: { on: 'Open', off: 'Closed' },
  garage_door: { on: 'Open', off: 'Closed' },
  gas: { on: 'Detected', off: 'Clear' },
  heat: { on: 'Hot', off: 'Normal' },
  light: { on: 'Light detected', off: 'No light' },
  lock: { on: 'Unlocked', off: 'Locked' },
  moisture: { on: 'Wet', off: 'Dry' },
  motion: { on: 'Detected', off: 'Clear' },
  moving: { on: 'Moving', off: 'Not moving' },
  occupancy: { on: 'Detected', off: 'Clear' },
  opening: { on: 'Open', off: 'Closed' },
  plug: { on: 'Plugged in', off: 'Unplugged' },
  power: { on: 'Power detected', off: 'No power' },
  presence: { on: 'Home', off: 'Away' },
  problem: { on: 'Problem', off: 'OK' },
  running: { on: 'Running', off: 'Not running' },
  safety: { on: 'Unsafe', off: 'Safe' },
  smoke: { on: 'Detected', off: 'Clear' },
  sound: { on: 'Detected', off: 'Clear' },
  tamper: { on: 'Tampering detected', off: 'Clear' },
  update: { on: 'Update available', off: 'Up-to-date' },
  vibration: { on: 'Detected', off: 'Clear' },
  window: { on: 'Open', off: 'Closed' },
};

/**
 * Property names that say what a binary senses. Zigbee2MQTT's `contact` is true when closed, but its exposes give
 * `value_on: false`, so the hub's true is open there too; `presence` is an mmWave sensor's (Zigbee2MQTT classes it
 * occupancy), not HA's home/away. A `light` property is a lamp's switch, not a light sensor: not here.
 */
const propertyClasses: Record<string, string> = {
  contact: 'opening', door: 'door', window: 'window', garage_door: 'garage_door', opening: 'opening',
  motion: 'motion', occupancy: 'occupancy', presence: 'occupancy', vibration: 'vibration', tamper: 'tamper',
  water_leak: 'moisture', leak: 'moisture', moisture: 'moisture', smoke: 'smoke', gas: 'gas',
  carbon_monoxide: 'carbon_monoxide', co: 'carbon_monoxide', battery_low: 'battery', lock: 'lock', plug: 'plug',
};

/** Words that say nothing beyond on and off: the default labels are as good. */
const bareWords = new Set(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no']);
const onOffLabels: BinaryLabels = { on: 'On', off: 'Off' };

/** "closed" → "Closed", "LOCKED" → "Locked", "Not moving" as it is. */
function shown(word: string): string {
  const w = word.trim();
  const lower = w === w.toUpperCase() ? w.toLowerCase() : w;
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The words for the hub's true and false of this binary capability. */
export function binaryLabels(cap: Pick<Capability, 'property' | 'on' | 'off' | 'deviceClass'>): BinaryLabels {
  const byClass = cap.deviceClass ? classWords[cap.deviceClass.toLowerCase()] : undefined;
  if (byClass) return byClass;
  const { on, off } = cap;
  if (typeof on === 'string' && typeof off === 'string' && on.trim() && off.trim() && !(bareWords.has(on.trim().toLowerCase()) && bareWords.has(off.trim().toLowerCase()))) {
    return { on: shown(on), off: shown(off) };
  }
  const named = propertyClasses[cap.property.toLowerCase()];
  return (named && classWords[named]) || onOffLabels;
}

/** The hub's boolean for a binary value (true/false, and the words devices use); undefined when it is neither. */
export function binaryState(cap: Pick<Capability, 'on' | 'off'>, value: StateValue | undefined): boolean | undefined {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (typeof cap.on === 'string' && word === cap.on.toLowerCase()) return true;
  if (typeof cap.off === 'string' && word === cap.off.toLowerCase()) return false;
  if (word === 'on' || word === 'true' || word === 'open' || word === 'detected') return true;
  if (word === 'off' || word === 'false' || word === 'closed' || word === 'clear') return false;
  return undefined;
}

/** A binary value as the device would say it ("Closed", "Detected", "On"); undefined when it is not a binary value. */
export function binaryText(cap: Pick<Capability, 'property' | 'on' | 'off' | 'deviceClass'>, value: StateValue | undefined): string | undefined {
  const state = binaryState(cap, value);
  if (state === undefined) return undefined;
  const labels = binaryLabels(cap);
  return state ? labels.on : labels.off;
}
