import { availabilitySuffix, commandSuffix } from '../../../server/mqtt/topics.js';
import { homeTopic } from '../layout.js';
import type { Message, SimDevice, WireFormat } from '../types.js';
import { discovery, PREFIX } from './homeassistant-discovery.js';
import { perDeviceConnection, type DeviceCodec } from './per-device.js';
import { asValue, onOff, parseJsonObject, plainValue } from './words.js';

// Home Assistant MQTT discovery devices (HA docs mqtt.markdown). Topics, per device:
//   homeassistant/…/config             discovery, retained (homeassistant-discovery.ts)
//   <home topic>/status                availability online/offline (`avty_t`), retained; `offline` is the will
//   <home topic>                       state: ON/OFF, a number, or JSON read through the config's templates
//   <home topic>/set                   commands: ON/OFF, a set point, or the JSON light's {"state","brightness"}
//   <home topic>/action                a button's presses, matched by the device triggers' `pl`
//   <home topic>                       for a button, the same press as the event entity's {"event_type": …}
//   homeassistant/status               HA's birth: `online` (live, not the retained copy) → discovery again

function statePayload(d: SimDevice): string {
  const v = d.model.values();
  switch (d.kind) {
    case 'light': case 'switch': return onOff(v.state);
    case 'motion': return onOff(v.motion);
    case 'contact': return onOff(v.contact);
    case 'temperature': return String(v.temperature);
    case 'humidity': return String(v.humidity);
    case 'dimmer': return JSON.stringify({ state: onOff(v.state), brightness: v.brightness });
    case 'plug': return JSON.stringify({ state: onOff(v.state), power: v.power, energy: v.energy });
    default: return JSON.stringify(v);
  }
}

const ACTUATORS = new Set(['light', 'switch', 'dimmer', 'plug', 'thermostat']);

function state(d: SimDevice, qos: 0 | 1): Message[] {
  if (d.kind === 'button') return [];
  return [{ topic: homeTopic(d), payload: statePayload(d), retain: ACTUATORS.has(d.kind), qos }];
}

const codec: DeviceCodec = {
  clientId: (d) => `sim-ha-${d.slug}`,
  will: (d) => ({ topic: homeTopic(d) + availabilitySuffix, payload: 'offline', retain: true, qos: 1 }),
  subscriptions: (d) => (ACTUATORS.has(d.kind) ? [homeTopic(d) + commandSuffix] : []),
  announce: (d) => [...discovery(d), { topic: homeTopic(d) + availabilitySuffix, payload: 'online', retain: true, qos: 1 }, ...state(d, 1)],
  retire: (d) => [{ topic: homeTopic(d) + availabilitySuffix, payload: 'offline', retain: true, qos: 1 }],
  telemetry(d, tick) {
    if (tick.event) {
      return [
        { topic: `${homeTopic(d)}/action`, payload: tick.event.value, retain: false, qos: 0 },
        { topic: homeTopic(d), payload: JSON.stringify({ event_type: tick.event.value }), retain: false, qos: 0 },
      ];
    }
    return state(d, 0);
  },
  confirm: (d) => state(d, 1),
  command(d, _topic, payload) {
    if (d.kind === 'dimmer') {
      // JSON schema: {"state":"ON","brightness":128}; the state key comes first so a level then applies.
      const json = parseJsonObject(payload);
      if (!json) return { set: [{ property: 'state', value: payload.trim() }] };
      const set = [];
      const s = asValue(json.state);
      const b = asValue(json.brightness);
      if (s !== undefined) set.push({ property: 'state', value: s });
      if (b !== undefined) set.push({ property: 'brightness', value: b });
      return { set };
    }
    if (d.kind === 'thermostat') return { set: [{ property: 'setpoint', value: plainValue(payload) }] };
    return { set: [{ property: 'state', value: payload.trim() }] };
  },
  shared: {
    subscriptions: [`${PREFIX}/status`],
    handle(devices, _topic, payload, retained) {
      // The retained copy arrives on every subscribe; only a live birth means HA (or the hub) just started.
      if (retained || payload.trim() !== 'online') return {};
      return { reply: devices.flatMap((d) => discovery(d)), replyDelayMs: Math.floor(Math.random() * 2000) };
    },
  },
};

export const homeassistantWire: WireFormat = {
  convention: 'homeassistant',
  gateway: false,
  connection: (devices, index) => perDeviceConnection('homeassistant', codec, devices, index),
};
