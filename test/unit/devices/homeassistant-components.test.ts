import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHomeAssistantConvention, homeAssistantConventionWith } from '../../../devices/homeassistant/index.js';
import { message, session, testContext } from './harness.js';

// Component mapping, availability modes, `~`, device-based component removal and command templates.

function setup() {
  const { view, conv, send } = session(createHomeAssistantConvention);
  const command = (id: string, property: string, value: Parameters<typeof conv.encodeCommand>[2]) =>
    conv.encodeCommand(view.asDevice(id)!, property, value);
  return { view, conv, send, command };
}
const dev = { dev: { ids: ['d1'], name: 'Device one' } };

describe('homeassistant convention: components', () => {
  it('switch: state words differ from command words; command_template; retain and qos', () => {
    const { view, send, command } = setup();
    send('homeassistant/switch/plug/config', {
      ...dev, uniq_id: 'plug', cmd_t: 'plug/cmd', stat_t: 'plug/state', val_tpl: '{{ value_json.POWER }}',
      pl_on: 1, pl_off: 0, stat_on: 'ON', stat_off: 'OFF', cmd_tpl: '{"POWER": {{ value }}}', ret: true, qos: 1,
    });
    const cap = view.capability('d1', 'power');
    assert.equal(cap.on, '1');
    send('plug/state', { POWER: 'ON' });
    assert.equal(view.state('d1', 'power'), true);
    assert.deepEqual(command('d1', 'power', false), { topic: 'plug/cmd', payload: '{"POWER": 0}', qos: 1, retain: true });
    assert.equal(command('d1', 'power', 'maybe'), undefined, 'nonsense is not a command');
  });

  it('binary_sensor with JSON booleans renders them as Python does (True/False)', () => {
    const { view, send } = setup();
    send('homeassistant/binary_sensor/m/config', { ...dev, uniq_id: 'm', stat_t: 'z/m', val_tpl: '{{ value_json.occupancy }}', pl_on: true, pl_off: false, dev_cla: 'motion' });
    send('z/m', { occupancy: true });
    assert.equal(view.state('d1', 'occupancy'), true);
    send('z/m', { occupancy: false });
    assert.equal(view.state('d1', 'occupancy'), false);
  });

  it('light (default schema) with brightness channel; `~` at the end of a topic', () => {
    const { view, send, command } = setup();
    send('homeassistant/light/l/config', {
      ...dev, uniq_id: 'l', '~': 'home/lamp', cmd_t: '~/set', stat_t: '~', bri_cmd_t: '~/bri/set', bri_stat_t: 'bri/~', bri_scl: 100,
    });
    assert.equal(view.device('d1').topic, 'home/lamp');
    assert.deepEqual(view.capability('d1', 'brightness').max, 100);
    send('bri/home/lamp', '42');
    assert.equal(view.state('d1', 'brightness'), 42);
    assert.deepEqual(command('d1', 'brightness', 60), { topic: 'home/lamp/bri/set', payload: '60', qos: 0, retain: false });
    assert.equal(command('d1', 'brightness', 101), undefined, 'out of range');
  });

  it('JSON light commands are JSON', () => {
    const { send, command } = setup();
    send('homeassistant/light/j/config', { ...dev, uniq_id: 'j', cmd_t: 'j/set', stat_t: 'j', schema: 'json', sup_clrm: ['color_temp'] });
    assert.deepEqual(command('d1', 'state', false)?.payload, '{"state":"OFF"}');
    assert.deepEqual(command('d1', 'color_temp', 300)?.payload, '{"state":"ON","color_temp":300}');
  });

  it('number, select, button, climate, fan and cover map to capabilities', () => {
    const { view, send, command } = setup();
    send('homeassistant/number/n/config', { ...dev, uniq_id: 'n', cmd_t: 'n/set', stat_t: 'n', min: 0, max: 10, step: 0.5, name: 'Level' });
    send('homeassistant/select/s/config', { ...dev, uniq_id: 's', cmd_t: 's/set', ops: ['eco', 'boost'], name: 'Mode select' });
    send('homeassistant/button/b/config', { ...dev, uniq_id: 'b', cmd_t: 'b/press', dev_cla: 'restart' });
    send('homeassistant/climate/c/config', {
      ...dev, uniq_id: 'c', mode_cmd_t: 'c/mode/set', mode_stat_t: 'c/state', mode_stat_tpl: '{{ value_json.system_mode }}', modes: ['off', 'heat'],
      temp_cmd_t: 'c/sp/set', temp_stat_t: 'c/state', temp_stat_tpl: '{{ value_json.setpoint }}', curr_temp_t: 'c/state', curr_temp_tpl: '{{ value_json.local_temperature }}',
      min_temp: 5, max_temp: 30, temp_step: 0.5,
    });
    send('homeassistant/fan/f/config', { ...dev, uniq_id: 'f', cmd_t: 'f/set', pct_cmd_t: 'f/pct/set', pr_mode_cmd_t: 'f/pm/set', pr_modes: ['auto', 'sleep'] });
    send('homeassistant/cover/v/config', { ...dev, uniq_id: 'v', cmd_t: 'v/set', stat_t: 'v', pos_t: 'v/pos', set_pos_t: 'v/pos/set' });
    const kinds = Object.fromEntries(view.device('d1').capabilities.map((c) => [c.property, c.kind]));
    assert.deepEqual(kinds, {
      level: 'numeric', mode_select: 'enum', restart: 'event', system_mode: 'enum', setpoint: 'numeric', local_temperature: 'numeric',
      state: 'binary', percentage: 'numeric', preset_mode: 'enum', state_v: 'enum', position: 'numeric',
    });
    send('c/state', { system_mode: 'heat', setpoint: 21.5, local_temperature: 19.8 });
    assert.deepEqual(view.states.get('d1'), { system_mode: 'heat', setpoint: 21.5, local_temperature: 19.8 });
    assert.equal(command('d1', 'setpoint', 22)?.topic, 'c/sp/set');
    assert.equal(command('d1', 'restart', true)?.payload, 'PRESS');
    assert.equal(command('d1', 'mode_select', 'boost')?.payload, 'boost');
    assert.equal(command('d1', 'state_v', 'closed')?.payload, 'CLOSE');
    send('v', 'opening');
    assert.equal(view.state('d1', 'state_v'), 'opening');
  });

  it('availability list: modes all, any and latest', () => {
    for (const [mode, expected] of [['all', 'offline'], ['any', 'online'], ['latest', 'offline']] as const) {
      const { view, send } = setup();
      send('homeassistant/sensor/a/config', {
        ...dev, uniq_id: 'a', stat_t: 'a', unit_of_meas: 'W', avty_mode: mode,
        avty: [{ t: 'bridge/state', val_tpl: '{{ value_json.state }}' }, { t: 'a/lwt', pl_avail: 'up', pl_not_avail: 'down' }],
      });
      send('a/lwt', 'up');
      send('bridge/state', { state: 'offline' });
      assert.equal(view.availability.get('d1'), expected, mode);
    }
  });

  it('device-based config: removing one component keeps the device; removing all removes it', () => {
    const { view, send } = setup();
    const cmps = { t: { p: 'sensor', unit_of_meas: '°C', val_tpl: '{{ value_json.t }}', uniq_id: 't' }, h: { p: 'sensor', unit_of_meas: '%', val_tpl: '{{ value_json.h }}', uniq_id: 'h' } };
    const base = { dev: { ids: 'dd' }, o: { name: 'fw' }, stat_t: 'dd/state' };
    send('homeassistant/device/dd/config', { ...base, cmps });
    const u = send('homeassistant/device/dd/config', { ...base, cmps: { t: cmps.t, h: { p: 'sensor' } } });
    assert.deepEqual(u?.devices?.[0]?.capabilities.map((c) => c.property), ['t']);
    assert.equal(send('homeassistant/device/dd/config', '')?.removed?.[0], 'dd');
  });

  it('migrate_discovery unloads the single config without removing the device', () => {
    const { send } = setup();
    send('homeassistant/sensor/m1/config', { ...dev, uniq_id: 'm1', stat_t: 'm1', unit_of_meas: 'W' });
    assert.equal(send('homeassistant/sensor/m1/config', { migr_discvry: true }), undefined);
  });

  it('entities that share identifiers form one device; connections become aliases', () => {
    const { view, send } = setup();
    send('homeassistant/sensor/p1/config', { uniq_id: 'p1', stat_t: 'p/1', unit_of_meas: 'W', dev: { ids: ['plug-a'], cns: [['mac', 'e0:98:06:f1:7f:56']], name: 'Plug' } });
    send('homeassistant/sensor/p2/config', { uniq_id: 'p2', stat_t: 'p/2', unit_of_meas: 'V', dev: { cns: [['mac', 'E09806F17F56']] } });
    assert.deepEqual([...view.devices.keys()], ['plug-a']);
    assert.equal(view.device('plug-a').name, 'Plug', 'a reference without name keeps the name');
    assert.deepEqual(view.device('plug-a').aliases, ['E09806F17F56']);
  });

  it('event entity reads event_type from JSON', () => {
    const { view, send } = setup();
    send('homeassistant/event/doorbell/config', { ...dev, uniq_id: 'e', stat_t: 'bell', evt_typ: ['press', 'hold'], dev_cla: 'doorbell' });
    send('bell', { event_type: 'hold' });
    assert.deepEqual(view.events, [{ deviceId: 'd1', property: 'doorbell', value: 'hold' }]);
    assert.match(send('bell', { event_type: 'lick' })?.rejected?.reason ?? '', /not one of press, hold/);
  });

  it('honours a custom discovery prefix', () => {
    const conv = homeAssistantConventionWith({ discoveryPrefix: 'ha' })(testContext());
    assert.ok(conv.claims('ha/sensor/x/config'));
    assert.ok(!conv.claims('homeassistant/sensor/x/config'));
    assert.equal(conv.handle(message('ha/sensor/x/config', { ...dev, uniq_id: 'x', stat_t: 'x/t' }))?.devices?.[0]?.id, 'd1');
    assert.deepEqual(conv.startMessages?.()[0]?.topic, 'ha/status');
  });
});
