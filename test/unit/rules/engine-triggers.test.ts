import { test } from 'node:test';
import assert from 'node:assert/strict';
import { report, sandbox, sent, tracesOf, yaml } from './engine-helpers.js';

const out = (payload: string) => ['actions:', '  - action: publish', '    topic: out/x', `    payload: "${payload}"`];

test('mqtt: named levels become variables; payload and match refuse with the reason', async (t) => {
  const sb = await sandbox(t, {
    'a.yaml': yaml('id: a', 'triggers:', '  - trigger: mqtt', '    topic: ourhome/{floor}/{room}/button', '    payload: "single"', ...out('{{ floor }}/{{ room }}')),
    'b.yaml': yaml('id: b', 'triggers:', '  - trigger: mqtt', '    topic: sensors/+/json', '    match: "value_json.temp > 20"', ...out('{{ value_json.temp }} at {{ topic }}')),
  });
  await report(sb, 'ourhome/groundfloor/hall/button', 'double');
  await report(sb, 'ourhome/groundfloor/hall/button', 'single');
  await report(sb, 'sensors/one/json', '{"temp": 18}');
  await report(sb, 'sensors/two/json', '{"temp": 21.5}');
  assert.deepEqual(sent(sb, 'out/'), ['out/x groundfloor/hall', 'out/x 21.5 at sensors/two/json']);
  assert.equal(tracesOf(sb, 'a').at(-1)!.reason, 'payload did not match: got "double", wanted "single"');
  assert.equal(tracesOf(sb, 'b').at(-1)!.reason, 'match was false: value_json.temp > 20 (payload "{\\"temp\\": 18}")');
});

test('state: from/to by on-ness, and `for` that is interrupted or holds', async (t) => {
  const sb = await sandbox(t, {
    's.yaml': yaml('id: s', 'triggers:', '  - trigger: state', '    device: ourhome/groundfloor/hall/door', '    from: closed', '    to: open', '    for: 2m', ...out('open too long')),
    'l.yaml': yaml('id: l', 'triggers:', '  - trigger: state', '    device: ourhome-groundfloor-hall-light', '    to: on', ...out('light {{ trigger.to }}')),
  });
  await report(sb, 'ourhome/groundfloor/hall/door', 'closed');
  await report(sb, 'ourhome/groundfloor/hall/door', 'open');
  await sb.clock.advance(60_000);
  await report(sb, 'ourhome/groundfloor/hall/door', 'closed');
  assert.equal(tracesOf(sb, 's').find((tr) => tr.result === 'interrupted')!.reason, "'for' interrupted after 1 min: ourhome-groundfloor-hall-door.door changed to false");
  await report(sb, 'ourhome/groundfloor/hall/door', 'open');
  await sb.clock.advance(120_000);
  assert.deepEqual(sent(sb, 'out/'), ['out/x open too long']);

  await report(sb, 'ourhome/groundfloor/hall/light', 'OFF');
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  assert.deepEqual(sent(sb, 'out/').slice(1), ['out/x light true']);
  assert.equal(tracesOf(sb, 'l').find((tr) => tr.result === 'not_fired')!.reason, 'ourhome-groundfloor-hall-light.light changed to false, not to "on"');
});

test('numeric: fires on crossing only; hysteresis re-arms below above - hysteresis; a device property source', async (t) => {
  const sb = await sandbox(t, {
    'h.yaml': yaml('id: h', 'triggers:', '  - trigger: numeric', '    device: ourhome/firstfloor/bath/humidity', '    above: 70', '    hysteresis: 5', ...out('humid {{ trigger.value }}')),
  });
  for (const v of ['60', '72', '69', '71', '64', '75']) await report(sb, 'ourhome/firstfloor/bath/humidity', v);
  assert.deepEqual(sent(sb, 'out/'), ['out/x humid 72', 'out/x humid 75']);
  const reasons = tracesOf(sb, 'h').filter((tr) => tr.result === 'not_fired').map((tr) => tr.reason).reverse();
  assert.deepEqual(reasons, [
    'threshold not crossed: ourhome-firstfloor-bath-humidity.humidity 60 is not above 70',
    'threshold not crossed: ourhome-firstfloor-bath-humidity.humidity 69 is not above 70',
    'threshold not crossed: ourhome-firstfloor-bath-humidity.humidity 71 is above 70 but already was; it must first go back to 65 or less (hysteresis 5)',
    'threshold not crossed: ourhome-firstfloor-bath-humidity.humidity 64 is not above 70',
  ]);
});

test('numeric: a value already inside the range when the rule loads does not fire', async (t) => {
  const sb = await sandbox(t, {});
  await report(sb, 'ourhome/firstfloor/kitchen/temperature', '30');
  await sb.load('k.yaml', yaml('id: k', 'triggers:', '  - trigger: numeric', '    topic: ourhome/firstfloor/kitchen/temperature', '    above: 28', ...out('hot')));
  await report(sb, 'ourhome/firstfloor/kitchen/temperature', '31');
  assert.deepEqual(sent(sb, 'out/'), []);
  assert.match(tracesOf(sb, 'k')[0]!.reason!, /31 is above 28 but already was; it fires on crossing only$/);
  await report(sb, 'ourhome/firstfloor/kitchen/temperature', 'unavailable');
  assert.equal(tracesOf(sb, 'k')[0]!.reason, 'ourhome/firstfloor/kitchen/temperature is "unavailable", not a number');
});

test('event and availability triggers; start fires once the hub has started', async (t) => {
  const sb = await sandbox(t, {
    'e.yaml': yaml('id: e', 'triggers:', '  - trigger: event', '    device: zigbee2mqtt/Hall button', '    value: double', ...out('pressed {{ value }}')),
    'a.yaml': yaml('id: a', 'triggers:', '  - trigger: availability', '    device: ourhome/groundfloor/hall/light', '    to: offline', '    for: 1m', ...out('gone')),
    'st.yaml': yaml('id: st', 'triggers:', '  - trigger: start', ...out('hello')),
  });
  assert.deepEqual(sent(sb, 'out/'), ['out/x hello']);
  // A Zigbee2MQTT button: the bridge's device list, then its action events.
  await report(sb, 'zigbee2mqtt/bridge/devices', JSON.stringify([{ ieee_address: '0x00158d0001dc126a', friendly_name: 'Hall button', type: 'EndDevice', definition: { model: 'WXKG01LM', vendor: 'Aqara', description: 'button', exposes: [{ type: 'enum', name: 'action', property: 'action', access: 1, values: ['single', 'double'] }] } }]));
  await report(sb, 'zigbee2mqtt/Hall button', '{"action":"single"}');
  await report(sb, 'zigbee2mqtt/Hall button', '{"action":"double"}');
  assert.deepEqual(sent(sb, 'out/').slice(1), ['out/x pressed double']);

  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await report(sb, 'ourhome/groundfloor/hall/light/status', 'offline');
  await sb.clock.advance(30_000);
  await report(sb, 'ourhome/groundfloor/hall/light/status', 'online');
  await report(sb, 'ourhome/groundfloor/hall/light/status', 'offline');
  await sb.clock.advance(60_000);
  assert.deepEqual(sent(sb, 'out/').slice(2), ['out/x gone']);
  assert.match(tracesOf(sb, 'a').find((tr) => tr.result === 'interrupted')!.reason!, /^'for' interrupted after 30 s: ourhome-groundfloor-hall-light is online again$/);
});

test('sun: sunset with an offset at the configured location; without a location the rule says why it cannot work', async (t) => {
  const { ManualClock } = await import('../../../rules/engine/clock.js');
  const clock = new ManualClock(Date.UTC(2025, 5, 21, 12, 0));
  const sb = await sandbox(t, { 'dusk.yaml': yaml('id: dusk', 'triggers:', '  - trigger: sun', '    event: sunset', '    offset: -30m', ...out('dusk')) }, { clock, location: { latitude: 52.37, longitude: 4.9 } });
  await clock.advanceTo(Date.UTC(2025, 5, 21, 19, 36));
  assert.deepEqual(sent(sb, 'out/'), []);
  await clock.advanceTo(Date.UTC(2025, 5, 21, 19, 37));
  assert.deepEqual(sent(sb, 'out/'), ['out/x dusk']);
  assert.match(tracesOf(sb, 'dusk')[0]!.trigger!.description!, /^sunset -30m at 2025-06-21 19:36:\d\d \(UTC\)$/);

  const nowhere = await sandbox(t, { 'dusk.yaml': yaml('id: dusk', 'triggers:', '  - trigger: sun', '    event: sunset', ...out('dusk')) });
  assert.deepEqual(nowhere.engine.list()[0]!.problems, ["triggers[0]: a sun trigger needs the hub's location: set location.latitude and location.longitude in rumah.yaml"]);
});
