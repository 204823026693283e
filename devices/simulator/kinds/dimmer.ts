import type { DeviceModel, PropertySpec, Value } from '../types.js';
import type { KindContext } from './context.js';
import { STATE } from './relay.js';
import { asNumber, asSwitch } from './values.js';

// A dimmable light: on/off and a brightness of 0..255 (the native and Home Assistant scale; Zigbee2MQTT's 0..254
// and Homie's and Shelly's 0..100 % are converted by their wire formats). Setting a brightness turns it on and 0
// turns it off, as Zigbee2MQTT and HA's JSON light do; turning it on restores the last brightness.

const BRIGHTNESS: PropertySpec = { name: 'brightness', type: 'number', settable: true, min: 0, max: 255, step: 1 };

export function createDimmer({ rng }: KindContext): DeviceModel {
  let on = rng.chance(0.3);
  let brightness = Math.round(rng.between(40, 255));
  return {
    kind: 'dimmer',
    properties: [STATE, BRIGHTNESS],
    values: () => ({ state: on, brightness }),
    tick: () => ({ report: true }),
    set(property: string, value: Value): boolean {
      if (property === 'state') {
        const next = asSwitch(value, on);
        if (next === undefined) return false;
        on = next;
        if (on && brightness === 0) brightness = 255;
        return true;
      }
      if (property === 'brightness') {
        const n = asNumber(value);
        if (n === undefined || n < 0 || n > 255) return false;
        brightness = Math.round(n);
        on = brightness > 0;
        return true;
      }
      return false;
    },
  };
}
