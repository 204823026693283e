// One addressing for every device-related trigger (issue 18 item 6): `device` (+ `property`) or `topic`, for state,
// event and availability as for numeric. Before, `state` refused `topic` ("unknown key 'topic'").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorsOf, lines, LOG } from './schema-helpers.js';
import { report, sandbox, sent, tracesOf, yaml } from './engine-helpers.js';

const out = (payload: string) => ['actions:', '  - action: publish', '    topic: out/x', `    payload: "${payload}"`];

test('schema: state, event, availability and numeric each take device or topic, exactly one', () => {
  for (const kind of ['state', 'event', 'availability', 'numeric']) {
    const range = kind === 'numeric' ? ['    above: 1'] : [];
    assert.deepEqual(errorsOf(lines('triggers:', `  - trigger: ${kind}`, '    topic: ourhome/+/+/light', ...range) + LOG), [], kind);
    assert.deepEqual(errorsOf(lines('triggers:', `  - trigger: ${kind}`, '    device: hall-light', ...range) + LOG), [], kind);
    assert.deepEqual(errorsOf(lines('triggers:', `  - trigger: ${kind}`, '    device: hall-light', '    topic: ourhome/+/+/light', ...range) + LOG),
      ["4:5 triggers[0].topic | use either 'device' or 'topic', not both"], kind);
    assert.deepEqual(errorsOf(lines('triggers:', `  - trigger: ${kind}`, ...(range.length ? range : ['    id: x'])) + LOG),
      [kind === 'numeric' ? "2:5 triggers[0] | needs 'device' (a device's property) or 'topic' (any message)"
        : "2:5 triggers[0] | needs 'device' (a device id, or the topic it reports on) or 'topic' (a topic filter: + and # select several devices)"], kind);
  }
  assert.deepEqual(errorsOf(lines('triggers:', '  - trigger: state', '    topic: ourhome/a+/light') + LOG).length, 1);
});

test('state by topic: a filter selects every device on it (also those seen after the rule loaded), named levels become variables', async (t) => {
  const sb = await sandbox(t, {
    'l.yaml': yaml('id: l', 'triggers:', '  - trigger: state', '    topic: ourhome/{floor}/+/light', '    to: on', ...out('{{ floor }} {{ device }}')),
    'one.yaml': yaml('id: one', 'triggers:', '  - trigger: state', '    topic: ourhome/groundfloor/hall/door', '    property: door', ...out('door {{ value }}')),
  });
  await report(sb, 'ourhome/groundfloor/hall/light', 'OFF');
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await report(sb, 'ourhome/firstfloor/bedroom/light', 'OFF');
  await report(sb, 'ourhome/firstfloor/bedroom/light', 'ON');
  await report(sb, 'ourhome/groundfloor/hall/door', 'closed');
  await report(sb, 'ourhome/groundfloor/hall/door', 'open');
  assert.deepEqual(sent(sb, 'out/'), [
    'out/x groundfloor ourhome-groundfloor-hall-light',
    'out/x firstfloor ourhome-firstfloor-bedroom-light',
    'out/x door false', // its first report is a change too (from nothing)
    'out/x door true',
  ]);
  assert.equal(tracesOf(sb, 'l').find((tr) => tr.result === 'not_fired')!.reason, 'ourhome-firstfloor-bedroom-light.light changed to false, not to "on"');
});

test('availability by topic', async (t) => {
  const sb = await sandbox(t, {
    'a.yaml': yaml('id: a', 'triggers:', '  - trigger: availability', '    topic: ourhome/+/+/light', '    to: offline', ...out('{{ device }} gone')),
  });
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await report(sb, 'ourhome/groundfloor/hall/light/status', 'offline');
  await report(sb, 'ourhome/groundfloor/hall/door/status', 'offline');
  assert.deepEqual(sent(sb, 'out/'), ['out/x ourhome-groundfloor-hall-light gone']);
});

test('event by topic', async (t) => {
  const sb = await sandbox(t, {
    'e.yaml': yaml('id: e', 'triggers:', '  - trigger: event', '    topic: zigbee2mqtt/+', '    value: double', ...out('pressed {{ device }}')),
  });
  await report(sb, 'zigbee2mqtt/bridge/devices', JSON.stringify([{ ieee_address: '0x00158d0001dc126a', friendly_name: 'Hall button', type: 'EndDevice', definition: { model: 'WXKG01LM', vendor: 'Aqara', description: 'button', exposes: [{ type: 'enum', name: 'action', property: 'action', access: 1, values: ['single', 'double'] }] } }]));
  await report(sb, 'zigbee2mqtt/Hall button', '{"action":"single"}');
  await report(sb, 'zigbee2mqtt/Hall button', '{"action":"double"}');
  assert.equal(sent(sb, 'out/').length, 1);
  assert.match(sent(sb, 'out/')[0]!, /^out\/x pressed /);
});
