import { ACTIONS } from '../kinds/button.js';
import type { KindName, Message, SimDevice, Value, WireFormat } from '../types.js';
import { perDeviceConnection, type DeviceCodec } from './per-device.js';
import { fromPercent, plainValue, toPercent } from './words.js';

// Homie 5 (homieiot/convention v5; test/fixtures/homie5.json), root homie/5/<id>/ with the device slug as id:
//   $state         init → ready on connect; `disconnected` before a clean disconnect; `lost` is the will
//   $description   one retained JSON document: nodes, properties, datatypes, formats, units
//   <node>/<prop>  values, retained; a button's action is a non-retained property (`retained: false`)
//   <node>/<prop>/set   commands, confirmed by publishing the property's new value
// Everything the device publishes is retained except the button's presses, as the convention says.

interface Prop {
  node: string;
  id: string;
  /** The simulator's property; undefined for an event. */
  neutral: string;
  spec: Record<string, unknown>;
  /** Homie's spelling of a value: booleans as true/false, brightness in percent. */
  encode?: (v: Value) => string;
}

const NODE_NAMES: Record<string, string> = { light: 'Light', switch: 'Switch', meter: 'Meter', thermostat: 'Thermostat', sensor: 'Sensor', button: 'Button' };
const power = (node: string): Prop => ({ node, id: 'power', neutral: 'state', spec: { datatype: 'boolean', settable: true } });
const float = (node: string, id: string, neutral: string, unit: string, extra: Record<string, unknown> = {}): Prop =>
  ({ node, id, neutral, spec: { datatype: 'float', unit, ...extra } });

const PROPS: Record<KindName, Prop[]> = {
  light: [power('light')],
  dimmer: [power('light'), { node: 'light', id: 'brightness', neutral: 'brightness', spec: { datatype: 'integer', format: '0:100', unit: '%', settable: true }, encode: (v) => String(toPercent(v)) }],
  switch: [power('switch')],
  plug: [power('switch'), float('meter', 'power', 'power', 'W'), float('meter', 'energy', 'energy', 'kWh')],
  thermostat: [
    float('thermostat', 'temperature', 'temperature', '°C'),
    float('thermostat', 'setpoint', 'setpoint', '°C', { format: '5:30:0.5', settable: true }),
    { node: 'thermostat', id: 'valve', neutral: 'valve', spec: { datatype: 'integer', format: '0:100', unit: '%' } },
  ],
  temperature: [float('sensor', 'temperature', 'temperature', '°C')],
  humidity: [float('sensor', 'humidity', 'humidity', '%', { format: '0:100' })],
  motion: [{ node: 'sensor', id: 'motion', neutral: 'motion', spec: { datatype: 'boolean' } }],
  contact: [{ node: 'sensor', id: 'open', neutral: 'contact', spec: { datatype: 'boolean' } }],
  button: [{ node: 'button', id: 'action', neutral: 'action', spec: { datatype: 'enum', format: ACTIONS.join(','), retained: false } }],
};

const root = (d: SimDevice): string => `homie/5/${d.slug}`;

export function description(d: SimDevice): Record<string, unknown> {
  const nodes: Record<string, { name: string; properties: Record<string, unknown> }> = {};
  for (const p of PROPS[d.kind]) {
    nodes[p.node] ??= { name: NODE_NAMES[p.node] ?? p.node, properties: {} };
    nodes[p.node]!.properties[p.id] = { name: p.id.charAt(0).toUpperCase() + p.id.slice(1), ...p.spec };
  }
  // `version` must change whenever the description does; the kind fixes the description, so it fixes the version.
  const version = [...JSON.stringify(nodes)].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7) % 1_000_000;
  return { homie: '5.0', version, name: d.name, nodes };
}

function values(d: SimDevice, props: readonly Prop[], qos: 0 | 1): Message[] {
  const v = d.model.values();
  return props.flatMap((p) => {
    const value = v[p.neutral];
    if (value === undefined) return [];
    return [{ topic: `${root(d)}/${p.node}/${p.id}`, payload: p.encode ? p.encode(value) : String(value), retain: true, qos }];
  });
}

const state = (d: SimDevice, word: string): Message => ({ topic: `${root(d)}/$state`, payload: word, retain: true, qos: 1 });

const codec: DeviceCodec = {
  clientId: (d) => `homie-${d.slug}`,
  will: (d) => state(d, 'lost'),
  subscriptions: (d) => (PROPS[d.kind].some((p) => p.spec.settable) ? [`${root(d)}/+/+/set`] : []),
  announce: (d) => [
    state(d, 'init'),
    { topic: `${root(d)}/$description`, payload: JSON.stringify(description(d)), retain: true, qos: 1 },
    ...values(d, PROPS[d.kind], 1),
    state(d, 'ready'),
  ],
  retire: (d) => [state(d, 'disconnected')],
  telemetry(d, tick) {
    if (tick.event) return [{ topic: `${root(d)}/button/action`, payload: tick.event.value, retain: false, qos: 0 }];
    return values(d, PROPS[d.kind], 0);
  },
  confirm: (d, properties) => values(d, PROPS[d.kind].filter((p) => properties.includes(p.neutral)), 1),
  command(d, topic, payload) {
    const [node, id] = topic.slice(root(d).length + 1).split('/');
    const prop = PROPS[d.kind].find((p) => p.node === node && p.id === id && p.spec.settable);
    if (!prop) return undefined;
    let value = plainValue(payload);
    if (prop.neutral === 'brightness' && typeof value === 'number') value = fromPercent(value);
    return { set: [{ property: prop.neutral, value }] };
  },
};

export const homieWire: WireFormat = {
  convention: 'homie',
  gateway: false,
  connection: (devices, index) => perDeviceConnection('homie', codec, devices, index),
};
