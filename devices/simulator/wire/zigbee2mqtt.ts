import type { CommandResult, ConnectionCodec, Message, SimDevice, Value, WireFormat } from '../types.js';
import { bridgeEntry, neutralProperty, zigbeeState } from './zigbee2mqtt-exposes.js';
import { asValue, parseJsonObject, plainValue } from './words.js';

// A Zigbee2MQTT bridge (zigbee2mqtt.io docs/guide/usage/mqtt_topics_and_messages.md, 2.x payloads): one MQTT
// client for all its devices, as the real bridge is. Topics, with <base> = zigbee2mqtt:
//   <base>/bridge/state                 {"state":"online"} retained; {"state":"offline"} is the bridge's will
//   <base>/bridge/info, bridge/devices  retained; devices lists the coordinator and every device with exposes
//   <base>/<fn>                         JSON state; a button's press as {"action":"single"} plus <base>/<fn>/action
//   <base>/<fn>/availability            {"state":"online"|"offline"} retained
//   <base>/<fn>/set, /set/<attr>, /get  commands in, confirmed by publishing the new state
//   <base>/bridge/request/permit_join   answered on bridge/response/permit_join
// Friendly names are `<room>/<thing>` (Zigbee2MQTT allows `/`, as in the fixture's `livingroom/ceiling`).

export const friendlyName = (d: SimDevice): string => `${d.room}/${d.thing}`;

function msg(topic: string, payload: unknown, retain = false, qos: 0 | 1 = 0): Message {
  return { topic, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), retain, qos };
}

export function zigbeeBridge(devices: readonly SimDevice[], index: number): ConnectionCodec {
  // A second bridge needs its own base topic, as two real bridges would (`mqtt.base_topic`).
  const base = index === 0 ? 'zigbee2mqtt' : `zigbee2mqtt_${index + 1}`;
  const byName = new Map(devices.map((d) => [friendlyName(d), d]));
  // Steady per device: a link quality that changed with every report would be a state change every report.
  const linkquality = (d: SimDevice): number => 60 + ((d.index * 37) % 160);
  const state = (d: SimDevice, qos: 0 | 1 = 0): Message => msg(`${base}/${friendlyName(d)}`, zigbeeState(d, linkquality(d)), false, qos);
  const availability = (d: SimDevice, online: boolean): Message => msg(`${base}/${friendlyName(d)}/availability`, { state: online ? 'online' : 'offline' }, true, 1);
  const coordinator = { ieee_address: '0x00124b0022ab1c3d', type: 'Coordinator', friendly_name: 'Coordinator', interview_completed: true };

  function deviceCommand(d: SimDevice, verb: string, attr: string | undefined, payload: string): CommandResult | undefined {
    let body: Record<string, unknown> | undefined;
    if (attr) body = { [attr]: plainValue(payload) };
    else body = parseJsonObject(payload);
    if (!body) return undefined;
    if (verb === 'get') return { device: d, report: Object.keys(body) };
    const set: { property: string; value: Value }[] = [];
    for (const [key, raw] of Object.entries(body)) {
      const value = asValue(raw);
      const mapped = value === undefined ? undefined : neutralProperty(d.kind, key, value);
      if (mapped) set.push(mapped);
    }
    return { device: d, set };
  }

  return {
    clientId: `sim-zigbee2mqtt-${index + 1}`,
    devices,
    will: msg(`${base}/bridge/state`, { state: 'offline' }, true, 1),
    // The real bridge follows bridge/request/#; a device account may follow exact topics only, and permit_join is
    // the one request a simulated bridge answers.
    subscriptions: [`${base}/bridge/request/permit_join`, ...devices.flatMap((d) => [`${base}/${friendlyName(d)}/set`, `${base}/${friendlyName(d)}/set/+`, `${base}/${friendlyName(d)}/get`])],
    announce: () => [
      msg(`${base}/bridge/state`, { state: 'online' }, true, 1),
      msg(`${base}/bridge/info`, { version: '2.6.0', commit: 'simulated', coordinator: { ieee_address: coordinator.ieee_address, type: 'zStack3x0' }, permit_join: false, permit_join_end: null, restart_required: false, config: { mqtt: { base_topic: base } } }, true, 1),
      msg(`${base}/bridge/devices`, [coordinator, ...devices.map((d) => bridgeEntry(d, friendlyName(d)))], true, 1),
      ...devices.flatMap((d) => [availability(d, true), ...(d.kind === 'button' ? [] : [state(d, 1)])]),
    ],
    retire: () => [...devices.map((d) => availability(d, false)), msg(`${base}/bridge/state`, { state: 'offline' }, true, 1)],
    telemetry(d, tick) {
      if (!tick.event) return [state(d)];
      return [
        msg(`${base}/${friendlyName(d)}`, { ...zigbeeState(d, linkquality(d)), action: tick.event.value }),
        // The plain action topic HA device triggers listen to (Koenkk/zigbee2mqtt#25511).
        msg(`${base}/${friendlyName(d)}/action`, tick.event.value),
      ];
    },
    confirm: (d) => [state(d, 1)],
    command(topic, payload) {
      if (!topic.startsWith(`${base}/`)) return undefined;
      const rest = topic.slice(base.length + 1);
      if (rest === 'bridge/request/permit_join') {
        const body = parseJsonObject(payload);
        const time = typeof body?.time === 'number' ? body.time : 254;
        const response: Record<string, unknown> = { data: { time }, status: 'ok' };
        if (body?.transaction !== undefined) response.transaction = body.transaction;
        return { reply: [msg(`${base}/bridge/response/permit_join`, response)] };
      }
      if (rest.startsWith('bridge/')) return undefined;
      // `<fn>/set`, `<fn>/set/<attr>`, `<fn>/get`; friendly names contain `/`, so cut at the verb.
      const m = /^(.+)\/(set|get)(?:\/([^/]+))?$/.exec(rest);
      const d = m && byName.get(m[1]!);
      if (!m || !d) return undefined;
      return deviceCommand(d, m[2]!, m[3], payload);
    },
  };
}

export const zigbee2mqttWire: WireFormat = {
  convention: 'zigbee2mqtt',
  gateway: true,
  connection: zigbeeBridge,
};
