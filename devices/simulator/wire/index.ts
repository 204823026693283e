import type { ConventionName, WireFormat } from '../types.js';
import { homeassistantWire } from './homeassistant.js';
import { homieWire } from './homie.js';
import { nativeWire } from './native.js';
import { shellyWire } from './shelly.js';
import { tasmotaWire } from './tasmota.js';
import { zigbee2mqttWire } from './zigbee2mqtt.js';

/** One wire format per convention, one file each. */
export const WIRES: Readonly<Record<ConventionName, WireFormat>> = {
  native: nativeWire,
  homeassistant: homeassistantWire,
  zigbee2mqtt: zigbee2mqttWire,
  tasmota: tasmotaWire,
  shelly: shellyWire,
  homie: homieWire,
};
