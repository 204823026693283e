import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, nextMessage, publish, subscribe, waitFor } from '../helpers/hub.js';
import { account, examples, startRulesHub, traces } from './rules-helpers.js';

test('lights-on-count: every light change publishes the number of lights on, retained, to ourhome/stats/lights_on', async (t) => {
  const h = await startRulesHub({ files: { 'lights-on-count.yaml': examples('lights-on-count.yaml') } });
  t.after(() => h.stop());
  const lights = await connect(h.mqttUrl, await account(h, 'lights'));
  t.after(() => end(lights));
  const phone = await connect(h.mqttUrl, await account(h, 'phone'));
  t.after(() => end(phone));
  await subscribe(phone, 'ourhome/stats/lights_on');

  const counts: string[] = [];
  phone.on('message', (_topic, payload) => counts.push(payload.toString()));
  await publish(lights, 'ourhome/groundfloor/livingroom/light', 'ON');
  await waitFor(() => counts.at(-1) === '1', 5000, 'count 1');
  await publish(lights, 'ourhome/firstfloor/kitchen/light', 'true');
  await waitFor(() => counts.at(-1) === '2', 5000, 'count 2');
  await publish(lights, 'ourhome/groundfloor/hall/light', 'off');
  await waitFor(() => counts.length >= 3 && counts.at(-1) === '2', 5000, 'count still 2');
  await publish(lights, 'ourhome/groundfloor/livingroom/light', 'OFF');
  await waitFor(() => counts.at(-1) === '1', 5000, 'count 1 again');

  // Retained: a client connecting later gets the current count at once.
  const late = await connect(h.mqttUrl, await account(h, 'late'));
  t.after(() => end(late));
  const first = nextMessage(late, (topic) => topic === 'ourhome/stats/lights_on');
  await subscribe(late, 'ourhome/stats/lights_on');
  const got = await first;
  assert.equal(got.payload, '1');

  const last = traces(h, 'lights-on-count')[0]!;
  assert.equal(last.result, 'done');
  assert.match(last.steps.at(-1)!.message, /^published "1" to ourhome\/stats\/lights_on \(retained\)$/);
  assert.match(last.cause!, /^device lights/);
});
