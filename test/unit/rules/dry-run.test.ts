// Dry runs apply the simulated input first (issue 18 item 6): the dry run of "count lights" with a message turning
// a light off said "would publish 2" for two lights on, counting before the message; and a state trigger could not
// be tried with a message at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { EXAMPLES_DIR } from '../../../rules/cli/examples.js';
import { report, sandbox, yaml } from './engine-helpers.js';

const steps = (trace: { steps: Array<{ path: string; message: string }> }): string[] => trace.steps.map((s) => `${s.path}: ${s.message}`);

test('count lights: the message turning a light off is applied before the actions count', async (t) => {
  const sb = await sandbox(t, {});
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await report(sb, 'ourhome/firstfloor/bedroom/light', 'ON');
  const text = fs.readFileSync(`${EXAMPLES_DIR}/lights-on-count.yaml`, 'utf8');
  const trace = await sb.engine.dryRun({ text }, { kind: 'message', topic: 'ourhome/groundfloor/hall/light', payload: 'OFF' });
  assert.equal(trace.result, 'done');
  const lines = steps(trace);
  assert.equal(lines[0], 'input: applied first: ourhome-groundfloor-hall-light.light true → false');
  const publish = lines.find((l) => l.startsWith('actions[0]'));
  assert.match(publish!, /would publish "1" to ourhome\/stats\/lights_on/, lines.join('\n'));
  // Nothing was applied for real.
  assert.equal(sb.states.value('ourhome-groundfloor-hall-light', 'light'), true);
  assert.equal(sb.published.length, 0);
});

test('a state trigger is tried with the state change a message makes; a run that does not fire says why, per trigger', async (t) => {
  const sb = await sandbox(t, {});
  await report(sb, 'ourhome/groundfloor/hall/door', 'closed');
  await report(sb, 'ourhome/groundfloor/hall/light', 'OFF');
  const text = yaml(
    'id: door', 'triggers:',
    '  - trigger: state', '    device: ourhome/groundfloor/hall/door', '    to: open',
    '  - trigger: mqtt', '    topic: ourhome/+/+/button',
    'conditions:', "  - \"state('ourhome/groundfloor/hall/door') == true\"",
    'actions:', '  - action: publish', '    topic: out/door', '    payload: "open"',
  );
  const opened = await sb.engine.dryRun({ text }, { kind: 'message', topic: 'ourhome/groundfloor/hall/door', payload: 'open' });
  assert.equal(opened.result, 'done', steps(opened).join('\n'));
  assert.equal(opened.trigger?.index, 0);
  // The condition read the door after the message: open.
  assert.ok(steps(opened).some((l) => l.startsWith('conditions:')), steps(opened).join('\n'));

  const light = await sb.engine.dryRun({ text }, { kind: 'message', topic: 'ourhome/groundfloor/hall/light', payload: 'ON' });
  assert.equal(light.result, 'not_fired');
  assert.equal(light.reason, 'no trigger fired: triggers[0] (state): the change is of ourhome-groundfloor-hall-light, not ourhome/groundfloor/hall/door'
    + ' · triggers[1] (mqtt): topic ourhome/groundfloor/hall/light does not match ourhome/+/+/button');

  const same = await sb.engine.dryRun({ text }, { kind: 'message', topic: 'ourhome/groundfloor/hall/door', payload: 'closed' });
  assert.equal(same.result, 'not_fired');
  assert.match(same.reason!, /^no trigger fired: triggers\[0\] \(state\): it fires on a device's state change, and the message on ourhome\/groundfloor\/hall\/door changes no device's state · /);
});
