import { availabilitySuffix, commandSuffix } from '../../../server/mqtt/topics.js';
import { homeTopic } from '../layout.js';
import type { KindName, Message, SimDevice, Value, WireFormat } from '../types.js';
import { asValue, onOff, parseJsonObject, plainValue } from './words.js';
import { perDeviceConnection, type DeviceCodec } from './per-device.js';

// Native home topics (README "Native home topics"; test/fixtures/native.json):
//   <home>/<floor>/<room>/<thing>          state: a word, a number, or a JSON object (one property per key)
//   <home>/<floor>/<room>/<thing>/status   online / offline, retained; `offline` is the will
//   <home>/<floor>/<room>/<thing>/set      commands, in the device's own words: `ON`, `21.5`, {"brightness":90}
// Actuators publish their state retained (the fixture's lights), so a restarted hub knows it at once; sensor
// readings and button presses are not retained: an old reading replayed as new would be a lie.

/** The property a plain (non-JSON) command sets: the relay's state, or a thermostat's set point. */
const PRIMARY: Partial<Record<KindName, string>> = { light: 'state', switch: 'state', dimmer: 'state', plug: 'state', thermostat: 'setpoint' };
const RETAINED = new Set<KindName>(['light', 'switch', 'dimmer', 'plug', 'thermostat']);

function word(kind: KindName, v: Value | undefined): string {
  if (kind === 'switch') return v ? 'on' : 'off'; // the fixture shows both spellings; the hub answers in kind
  if (kind === 'contact') return v ? 'open' : 'closed';
  if (kind === 'motion') return v ? 'true' : 'false';
  return onOff(v);
}

/** The payload of the device's state topic. */
function statePayload(d: SimDevice): string {
  const v = d.model.values();
  switch (d.kind) {
    case 'light': case 'switch':
      return word(d.kind, v.state);
    case 'dimmer': case 'plug':
      return JSON.stringify({ ...v, state: onOff(v.state) });
    case 'thermostat':
      return JSON.stringify(v);
    default: {
      // A sensor speaks plainly when its thing is named for what it measures (the hub takes unit and kind from the
      // name); `motion_2` says {"motion": true} so the hub still knows it is a motion sensor.
      const value = v[d.kind];
      const text = typeof value === 'boolean' ? word(d.kind, value) : String(value);
      return d.thing === d.kind ? text : JSON.stringify({ [d.kind]: typeof value === 'boolean' ? text : value });
    }
  }
}

function state(d: SimDevice): Message {
  return { topic: homeTopic(d), payload: statePayload(d), retain: RETAINED.has(d.kind), qos: 0 };
}

const codec: DeviceCodec = {
  clientId: (d) => `sim-${d.slug}`,
  will: (d) => ({ topic: homeTopic(d) + availabilitySuffix, payload: 'offline', retain: true, qos: 1 }),
  subscriptions: (d) => [homeTopic(d) + commandSuffix],
  announce: (d) => [
    { topic: homeTopic(d) + availabilitySuffix, payload: 'online', retain: true, qos: 1 },
    ...(d.kind === 'button' ? [] : [{ ...state(d), qos: 1 as const }]),
  ],
  retire: (d) => [{ topic: homeTopic(d) + availabilitySuffix, payload: 'offline', retain: true, qos: 1 }],
  telemetry(d, tick) {
    if (!tick.event) return [state(d)];
    const text = tick.event.value;
    return [{ topic: homeTopic(d), payload: d.thing === d.kind ? text : JSON.stringify({ [d.kind]: text }), retain: false, qos: 0 }];
  },
  confirm: (d) => [{ ...state(d), qos: 1 }],
  command(d, _topic, payload) {
    const json = payload.trim().startsWith('{') ? parseJsonObject(payload) : undefined;
    if (json) {
      // {"state":"OFF"}, {"brightness":90}, {"setpoint":21}; the thing's own name stands for its primary property.
      const set = Object.entries(json).flatMap(([key, raw]) => {
        const value = asValue(raw);
        const property = key === d.thing ? PRIMARY[d.kind] ?? key : key;
        return value === undefined ? [] : [{ property, value }];
      });
      return { set };
    }
    const value = plainValue(payload);
    // A plain number to a dimmer is a level; to a thermostat, a set point; words switch.
    const property = typeof value === 'number' && d.kind === 'dimmer' ? 'brightness' : PRIMARY[d.kind] ?? d.kind;
    return { set: [{ property, value }] };
  },
};

export const nativeWire: WireFormat = {
  convention: 'native',
  gateway: false,
  connection: (devices, index) => perDeviceConnection('native', codec, devices, index),
};
