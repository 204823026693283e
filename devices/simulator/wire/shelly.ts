import type { CommandResult, KindName, Message, SimDevice, WireFormat } from '../types.js';
import { perDeviceConnection, type DeviceCodec } from './per-device.js';
import { asValue, fromPercent, parseJsonObject, toPercent } from './words.js';

// Shelly Gen2+ (shelly-api-docs gen2 Mqtt, RPCProtocol, Notifications; test/fixtures/shelly-gen2.json), with
// the device id as topic prefix:
//   <id>/online                 true / false, retained; false is the will
//   <id>/events/rpc             NotifyFullStatus on connect, NotifyStatus for changes, NotifyEvent for presses
//   <id>/rpc                    JSON-RPC in: Switch.Set/Toggle, Light.Set/Toggle, Thermostat.SetConfig, *.GetStatus;
//                               the answer goes to <src>/rpc, and the NotifyStatus that follows is the confirmation
//   <id>/command/switch:0       simple control: on | off | toggle
// Each kind is the Shelly that would do the job: a Plus 1 behind a light or switch, a Plus Plug S, a dimmer's
// light:0, an H&T, a Wall Display's thermostat:0, a Plus i4's inputs for motion, contact and button.

const MODELS: Record<KindName, string> = {
  light: 'shellyplus1', switch: 'shellyplus1', plug: 'shellyplusplugs', dimmer: 'shellydimmerg3', thermostat: 'shellywalldisplay',
  temperature: 'shellyplusht', humidity: 'shellyplusht', motion: 'shellyplusi4', contact: 'shellyplusi4', button: 'shellyplusi4',
};
const EVENTS: Record<string, string> = { single: 'single_push', double: 'double_push', long: 'long_push' };

export const shellyId = (d: SimDevice): string => `${MODELS[d.kind]}-${d.mac.toLowerCase()}`;
const ts = (): number => Math.round(Date.now() / 10) / 100;

/** The status of the device's components, as in NotifyFullStatus and Shelly.GetStatus. */
function components(d: SimDevice): Record<string, unknown> {
  const v = d.model.values();
  const battery = { 'devicepower:0': { id: 0, battery: { V: 5.8, percent: 100 - (d.index % 40) }, external: { present: false } } };
  switch (d.kind) {
    case 'light': case 'switch': return { 'switch:0': { id: 0, source: 'init', output: v.state } };
    case 'plug': {
      const watts = Number(v.power);
      return { 'switch:0': { id: 0, source: 'init', output: v.state, apower: watts, voltage: 230.1, current: Math.round((watts / 230.1) * 1000) / 1000, aenergy: { total: Math.round(Number(v.energy) * 1e6) / 1e3 }, temperature: { tC: 38.5 } } };
    }
    case 'dimmer': return { 'light:0': { id: 0, source: 'init', output: v.state, brightness: toPercent(v.brightness) } };
    case 'thermostat':
      return { 'thermostat:0': { id: 0, enable: true, target_C: v.setpoint, current_C: v.temperature, output: Number(v.valve) > 0 }, 'temperature:0': { id: 0, tC: v.temperature } };
    case 'temperature': return { 'temperature:0': { id: 0, tC: v.temperature, tF: Math.round((Number(v.temperature) * 1.8 + 32) * 10) / 10 }, ...battery };
    case 'humidity': return { 'humidity:0': { id: 0, rh: v.humidity }, ...battery };
    case 'motion': return { 'input:0': { id: 0, state: v.motion } };
    case 'contact': return { 'input:0': { id: 0, state: v.contact } };
    case 'button': return { 'input:0': { id: 0, state: null } };
  }
}

function notify(d: SimDevice, method: string, params: Record<string, unknown>, qos: 0 | 1 = 0): Message {
  const id = shellyId(d);
  return { topic: `${id}/events/rpc`, payload: JSON.stringify({ src: id, dst: `${id}/events`, method, params: { ts: ts(), ...params } }), retain: false, qos };
}

/** One RPC call → the properties it sets and its result (Shelly answers before the change is notified). */
function rpc(d: SimDevice, method: string, params: Record<string, unknown>): { result?: unknown; error?: { code: number; message: string }; set?: CommandResult['set'] } {
  const v = d.model.values();
  const relay = d.kind === 'dimmer' ? 'Light' : 'Switch';
  switch (method) {
    case 'Shelly.GetStatus': return { result: components(d) };
    case 'Shelly.GetDeviceInfo': return { result: { id: shellyId(d), mac: d.mac, model: MODELS[d.kind], gen: 2, fw_id: '20250101-000000/1.5.0-simulated', ver: '1.5.0', app: MODELS[d.kind], auth_en: false } };
    case `${relay}.GetStatus`: return { result: Object.values(components(d))[0] };
    case `${relay}.Set`: {
      const set: NonNullable<CommandResult['set']> = [];
      const on = asValue(params.on);
      const brightness = typeof params.brightness === 'number' ? params.brightness : undefined;
      if (on !== undefined) set.push({ property: 'state', value: on });
      if (brightness !== undefined && d.kind === 'dimmer') set.push({ property: 'brightness', value: fromPercent(brightness) });
      return { result: relay === 'Switch' ? { was_on: v.state } : null, set };
    }
    case `${relay}.Toggle`: return { result: { was_on: v.state }, set: [{ property: 'state', value: 'toggle' }] };
    case 'Thermostat.SetConfig': {
      const config = params.config as Record<string, unknown> | undefined;
      const target = asValue(config?.target_C);
      return target === undefined ? { error: { code: -103, message: 'Invalid argument: config.target_C' } } : { result: { restart_required: false }, set: [{ property: 'setpoint', value: target }] };
    }
    default: return { error: { code: 404, message: `No handler for ${method}` } };
  }
}

const SWITCHES = new Set<KindName>(['light', 'switch', 'plug']);

const codec: DeviceCodec = {
  clientId: shellyId,
  will: (d) => ({ topic: `${shellyId(d)}/online`, payload: 'false', retain: true, qos: 1 }),
  // Simple control exists for switches; its topic exactly: a device account may follow command topics, not wildcards.
  subscriptions: (d) => [`${shellyId(d)}/rpc`, ...(SWITCHES.has(d.kind) ? [`${shellyId(d)}/command/switch:0`] : [])],
  announce: (d) => [
    { topic: `${shellyId(d)}/online`, payload: 'true', retain: true, qos: 1 },
    notify(d, 'NotifyFullStatus', { sys: { mac: d.mac, restart_required: false, uptime: 3723 }, ...components(d) }, 1),
  ],
  retire: (d) => [{ topic: `${shellyId(d)}/online`, payload: 'false', retain: true, qos: 1 }],
  telemetry(d, tick) {
    if (tick.event) {
      return [notify(d, 'NotifyEvent', { events: [{ component: 'input:0', id: 0, event: EVENTS[tick.event.value] ?? 'single_push', ts: ts() }] })];
    }
    return [notify(d, 'NotifyStatus', components(d))];
  },
  confirm: (d) => [notify(d, 'NotifyStatus', components(d), 1)],
  command(d, topic, payload) {
    const id = shellyId(d);
    if (topic.startsWith(`${id}/command/`)) {
      // Simple control of the relay: on | off | toggle (other words are ignored by the firmware too).
      const word = payload.trim().toLowerCase();
      const component = topic.slice(`${id}/command/`.length);
      if (!['on', 'off', 'toggle'].includes(word) || component !== 'switch:0' || !SWITCHES.has(d.kind)) return undefined;
      return { set: [{ property: 'state', value: word }] };
    }
    const call = parseJsonObject(payload);
    if (!call || typeof call.method !== 'string') return undefined;
    const params = (call.params && typeof call.params === 'object' ? call.params : {}) as Record<string, unknown>;
    const answer = rpc(d, call.method, params);
    const src = typeof call.src === 'string' && call.src !== '' ? call.src : undefined;
    const body: Record<string, unknown> = { id: call.id ?? null, src: id, dst: src ?? null, ...(answer.error ? { error: answer.error } : { result: answer.result ?? null }) };
    // No `src`, no reply: the caller did not say where it listens (RPCProtocol: replies go to `<src>/rpc`).
    return { set: answer.set ?? [], reply: src ? [{ topic: `${src}/rpc`, payload: JSON.stringify(body), retain: false, qos: 1 }] : [] };
  },
};

export const shellyWire: WireFormat = {
  convention: 'shelly',
  gateway: false,
  connection: (devices, index) => perDeviceConnection('shelly', codec, devices, index),
};
