import type { KindName, Message, SimDevice, Value, WireFormat } from '../types.js';
import { perDeviceConnection, type DeviceCodec } from './per-device.js';
import { fromPercent, onOff, plainValue, toPercent } from './words.js';

// Tasmota (tasmota/docs MQTT.md, Commands.md; test/fixtures/tasmota.json), default FullTopic %prefix%/%topic%/:
//   tasmota/discovery/<MAC>/config, /sensors   native discovery, retained
//   tele/<t>/LWT                               Online / Offline, retained; Offline is the will
//   tele/<t>/STATE, tele/<t>/SENSOR            telemetry: relay state; sensor and ENERGY readings
//   cmnd/<t>/POWER | Dimmer | TempTargetSet | STATE   commands; an empty payload asks for the current value
//   stat/<t>/RESULT (+ stat/<t>/POWER)         the answer to every command, which is the confirmation
// A button press is {"Button1":{"Action":"SINGLE"}} on stat/<t>/RESULT (SetOption73 1 decouples it from a relay).

const ONLINE = 'Online';
const OFFLINE = 'Offline';
const RELAY_KINDS = new Set<KindName>(['light', 'dimmer', 'switch', 'plug']);
const MODULES: Record<KindName, string> = {
  light: 'Sonoff Basic', dimmer: 'Generic', switch: 'Sonoff Mini', plug: 'Athom Plug V2', thermostat: 'Generic', temperature: 'Generic',
  humidity: 'Generic', motion: 'Generic', contact: 'Generic', button: 'Generic',
};
const PRESS: Record<string, string> = { single: 'SINGLE', double: 'DOUBLE', long: 'HOLD' };

const topicOf = (d: SimDevice): string => `tasmota_${d.mac.slice(6)}`;
const time = (): string => new Date().toISOString().slice(0, 19); // Tasmota's local time, no zone
const json = (topic: string, payload: unknown, retain = false, qos: 0 | 1 = 0): Message => ({ topic, payload: JSON.stringify(payload), retain, qos });

function config(d: SimDevice): Record<string, unknown> {
  const id = d.mac.slice(6);
  const relay = RELAY_KINDS.has(d.kind);
  const isSwitch = d.kind === 'motion' || d.kind === 'contact';
  const eight = <T>(first: T, rest: T): T[] => [first, ...Array<T>(7).fill(rest)];
  return {
    ip: `192.168.2.${10 + (d.index % 240)}`, dn: d.name, fn: eight<string | null>(d.name, null), hn: `tasmota-${id}-${1000 + (d.index % 9000)}`,
    mac: d.mac, md: MODULES[d.kind], ty: 0, if: 0, ofln: OFFLINE, onln: ONLINE, state: ['OFF', 'ON', 'TOGGLE', 'HOLD'],
    sw: '14.4.1', t: topicOf(d), ft: '%prefix%/%topic%/', tp: ['cmnd', 'stat', 'tele'],
    rl: eight(relay ? (d.kind === 'light' || d.kind === 'dimmer' ? 2 : 1) : 0, 0),
    swc: eight(isSwitch ? 1 : -1, -1), swn: eight<string | null>(isSwitch ? (d.kind === 'motion' ? 'Motion' : 'Door') : null, null),
    btn: eight(d.kind === 'button' ? 1 : 0, 0), so: { '4': 0, '11': 0, '13': 0, '17': 0, '20': 0, '30': 0, '68': 0, '73': d.kind === 'button' ? 1 : 0, '82': 0, '114': 0, '117': 0 },
    lk: 0, lt_st: d.kind === 'dimmer' ? 1 : 0, bat: 0, dslp: 0, sho: [], sht: [], ver: 1,
  };
}

/** The SENSOR JSON: readings per sensor driver, ENERGY for a plug; undefined for devices without sensors. */
function sensor(d: SimDevice): Record<string, unknown> | undefined {
  const v = d.model.values();
  switch (d.kind) {
    case 'temperature': return { Time: time(), DS18B20: { Id: d.mac.slice(4), Temperature: v.temperature }, TempUnit: 'C' };
    case 'humidity': return { Time: time(), SHT3X: { Humidity: v.humidity }, TempUnit: 'C' };
    case 'motion': return { Time: time(), Switch1: onOff(v.motion) };
    case 'contact': return { Time: time(), Switch1: onOff(v.contact) };
    case 'thermostat':
      return { Time: time(), DS18B20: { Id: d.mac.slice(4), Temperature: v.temperature }, THERMOSTAT0: { ThermostatModeSet: 1, TempTargetSet: v.setpoint, CtrDutyCycleRead: v.valve }, TempUnit: 'C' };
    case 'plug': {
      const watts = Number(v.power);
      const voltage = 230;
      return { Time: time(), ENERGY: { Total: v.energy, Power: watts, ApparentPower: watts, Voltage: voltage, Current: Math.round((watts / voltage) * 1000) / 1000, Factor: watts > 0 ? 1 : 0 } };
    }
    default: return undefined;
  }
}

/** The relay part of STATE and RESULT. */
function relayState(d: SimDevice): Record<string, Value> {
  const v = d.model.values();
  return d.kind === 'dimmer' ? { POWER: onOff(v.state), Dimmer: toPercent(v.brightness) } : { POWER: onOff(v.state) };
}

function state(d: SimDevice): Record<string, unknown> {
  return { Time: time(), Uptime: '0T01:02:03', UptimeSec: 3723, Heap: 26, LoadAvg: 19, ...(RELAY_KINDS.has(d.kind) ? relayState(d) : {}), Wifi: { AP: 1, SSId: 'home', RSSI: 74, Signal: -63 } };
}

const codec: DeviceCodec = {
  clientId: (d) => `DVES_${d.mac.slice(6)}`,
  will: (d) => ({ topic: `tele/${topicOf(d)}/LWT`, payload: OFFLINE, retain: true, qos: 1 }),
  subscriptions: (d) => [`cmnd/${topicOf(d)}/+`],
  announce(d) {
    const sn = sensor(d);
    // The fixture's order: discovery first, so the hub knows the topic before the LWT on it arrives.
    return [
      json(`tasmota/discovery/${d.mac}/config`, config(d), true, 1),
      json(`tasmota/discovery/${d.mac}/sensors`, { sn: sn ?? { Time: time() }, ver: 1 }, true, 1),
      { topic: `tele/${topicOf(d)}/LWT`, payload: ONLINE, retain: true, qos: 1 },
      json(`tele/${topicOf(d)}/STATE`, state(d), false, 1),
    ];
  },
  retire: (d) => [{ topic: `tele/${topicOf(d)}/LWT`, payload: OFFLINE, retain: true, qos: 1 }],
  telemetry(d, tick) {
    const t = topicOf(d);
    if (tick.event) return [json(`stat/${t}/RESULT`, { Button1: { Action: PRESS[tick.event.value] ?? 'SINGLE' } })];
    const sn = sensor(d);
    return [sn ? json(`tele/${t}/SENSOR`, sn) : json(`tele/${t}/STATE`, state(d))];
  },
  confirm(d, properties) {
    const t = topicOf(d);
    const v = d.model.values();
    if (properties.includes('*')) return [json(`stat/${t}/RESULT`, state(d), false, 1)];
    const result: Record<string, Value> = {};
    if (properties.includes('state') || properties.includes('brightness')) Object.assign(result, relayState(d));
    if (properties.includes('setpoint')) result.TempTargetSet = v.setpoint!;
    const out = [json(`stat/${t}/RESULT`, Object.keys(result).length ? result : { Command: 'Unknown' }, false, 1)];
    if (result.POWER !== undefined) out.push({ topic: `stat/${t}/POWER`, payload: String(result.POWER), retain: false, qos: 1 });
    return out;
  },
  command(d, topic, payload) {
    const command = topic.slice(topic.lastIndexOf('/') + 1).toUpperCase();
    const text = payload.trim();
    const query = text === '' || text === '?';
    // POWER and POWER1 are the same relay on a one-relay device; the Dimmer and set point take percent and °C.
    if ((command === 'POWER' || command === 'POWER1') && RELAY_KINDS.has(d.kind)) return query ? { report: ['state'] } : { set: [{ property: 'state', value: text }] };
    if (command === 'DIMMER' && d.kind === 'dimmer') {
      const n = plainValue(text);
      return query || typeof n !== 'number' ? { report: ['brightness'] } : { set: [{ property: 'brightness', value: fromPercent(n) }] };
    }
    if (command === 'TEMPTARGETSET' && d.kind === 'thermostat') return query ? { report: ['setpoint'] } : { set: [{ property: 'setpoint', value: plainValue(text) }] };
    if (command === 'STATE') return { report: ['*'] };
    return { report: ['?'] }; // answered {"Command":"Unknown"}, as the firmware does
  },
};

export const tasmotaWire: WireFormat = {
  convention: 'tasmota',
  gateway: false,
  connection: (devices, index) => perDeviceConnection('tasmota', codec, devices, index),
};
