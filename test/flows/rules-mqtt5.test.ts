// Rules work the same for MQTT 5 clients: a v5 publish fires a rule, whose action reaches a v5 subscriber.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, nextMessage, publish, subscribe } from '../helpers/hub.js';
import { account, observer, startRulesHub } from './rules-helpers.js';

const rule = ['id: porch', 'triggers:', '  - trigger: mqtt', '    topic: ourhome/gf/porch/button', 'actions:', '  - action: publish', '    topic: out/porch-light', '    payload: "{{ trigger.payload }}"', ''].join('\n');

test('an MQTT 5 device\'s message fires a rule; the action reaches an MQTT 5 subscriber', async (t) => {
  const h = await startRulesHub({ files: { 'porch.yaml': rule } });
  t.after(() => h.stop());
  const watcher = await connect(h.mqttUrl, { ...(await observer(h, 'watcher')), protocolVersion: 5 });
  t.after(() => end(watcher));
  await subscribe(watcher, 'out/#');
  const button = await connect(h.mqttUrl, { ...(await account(h, 'button')), protocolVersion: 5 });
  t.after(() => end(button));
  const fired = nextMessage(watcher, (topic) => topic === 'out/porch-light');
  await publish(button, 'ourhome/gf/porch/button', 'pressed');
  assert.equal((await fired).payload, 'pressed');
});
