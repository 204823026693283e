import { availabilitySuffix, commandSuffix } from '../../../server/mqtt/topics.js';
import { homeTopic, roomName } from '../layout.js';
import { ACTIONS } from '../kinds/button.js';
import type { Message, SimDevice } from '../types.js';
import { ORIGIN, SIM_VERSION } from './words.js';

// Home Assistant MQTT discovery configs (HA docs mqtt.markdown; test/fixtures/homeassistant-discovery.json), in
// the abbreviated form devices send, retained as the fixtures' are. The state topics are the device's native home
// topic, as in the fixture's kitchen sensor, so the area shows in the topic and in `sa` alike. Each kind uses the
// discovery form real firmware uses for it:
//   light, switch, sensors  single component   homeassistant/<component>/<uniq_id>/config
//   dimmer                  JSON-schema light with `~`
//   plug                    device-based (`cmps`): one message for the relay and its two meters
//   thermostat              climate, reading current and target temperature from one JSON state
//   button                  device triggers, one per action, and an event entity (what Zigbee2MQTT 2.x announces)

export const PREFIX = 'homeassistant';

export const uniqueId = (d: SimDevice): string => `${d.home}_${d.slug.replaceAll('-', '_')}`;

function device(d: SimDevice): Record<string, unknown> {
  return { ids: [`${d.home}-${d.slug}`], name: d.name, sa: roomName(d.room), mf: 'rumah', mdl: `simulated ${d.kind}`, sw: SIM_VERSION };
}

function config(topic: string, payload: Record<string, unknown>): Message {
  return { topic, payload: JSON.stringify(payload), retain: true, qos: 1 };
}

export function discovery(d: SimDevice): Message[] {
  const base = homeTopic(d);
  const uid = uniqueId(d);
  const common = { uniq_id: uid, avty_t: base + availabilitySuffix, dev: device(d), o: ORIGIN };
  // `default_entity_id` replaces `object_id`, which stops working in HA 2026.4 (conventions.md).
  const single = (component: string, fields: Record<string, unknown>): Message[] =>
    [config(`${PREFIX}/${component}/${uid}/config`, { ...fields, default_entity_id: `${component}.${uid}`, ...common })];
  const sensor = (deviceClass: string, unit: string) => single('sensor', {
    name: deviceClass.charAt(0).toUpperCase() + deviceClass.slice(1), stat_t: base, dev_cla: deviceClass, stat_cla: 'measurement', unit_of_meas: unit,
  });
  switch (d.kind) {
    case 'light':
    case 'switch':
      return single(d.kind, { name: null, cmd_t: base + commandSuffix, stat_t: base, pl_on: 'ON', pl_off: 'OFF' });
    case 'dimmer':
      return single('light', {
        '~': base, name: null, cmd_t: `~${commandSuffix}`, stat_t: '~', schema: 'json', brightness: true, sup_clrm: ['brightness'],
      });
    case 'plug':
      return [config(`${PREFIX}/device/${uid}/config`, {
        dev: { ...device(d), ids: `${d.home}-${d.slug}` }, o: ORIGIN, stat_t: base, avty_t: base + availabilitySuffix, qos: 1,
        cmps: {
          relay: { p: 'switch', name: null, uniq_id: `${uid}_relay`, cmd_t: base + commandSuffix, val_tpl: '{{ value_json.state }}', pl_on: 'ON', pl_off: 'OFF' },
          power: { p: 'sensor', name: 'Power', uniq_id: `${uid}_power`, dev_cla: 'power', stat_cla: 'measurement', unit_of_meas: 'W', val_tpl: '{{ value_json.power }}' },
          energy: { p: 'sensor', name: 'Energy', uniq_id: `${uid}_energy`, dev_cla: 'energy', stat_cla: 'total_increasing', unit_of_meas: 'kWh', val_tpl: '{{ value_json.energy }}' },
        },
      })];
    case 'thermostat':
      return single('climate', {
        name: null, modes: ['heat'], min_temp: 5, max_temp: 30, temp_step: 0.5, precision: 0.1, temp_unit: 'C',
        curr_temp_t: base, curr_temp_tpl: '{{ value_json.temperature }}',
        temp_stat_t: base, temp_stat_tpl: '{{ value_json.setpoint }}', temp_cmd_t: base + commandSuffix,
        act_t: base, act_tpl: "{{ 'heating' if value_json.valve > 0 else 'idle' }}",
      });
    case 'temperature':
      return sensor('temperature', '°C');
    case 'humidity':
      return sensor('humidity', '%');
    case 'motion':
    case 'contact':
      return single('binary_sensor', { name: null, stat_t: base, dev_cla: d.kind === 'motion' ? 'motion' : 'door', pl_on: 'ON', pl_off: 'OFF' });
    case 'button':
      // Device triggers (one config per action, the payload naming it), as Zigbee2MQTT 2.x announces them, and an
      // event entity beside them, as it also does: triggers have no availability, the event entity carries it.
      return [
        ...ACTIONS.map((action) => config(`${PREFIX}/device_automation/${uid}/action_${action}/config`, {
          atype: 'trigger', t: `${base}/action`, pl: action, type: 'action', stype: action, dev: device(d), o: ORIGIN,
        })),
        ...single('event', { name: null, stat_t: base, dev_cla: 'button', evt_typ: [...ACTIONS] }),
      ];
  }
}
