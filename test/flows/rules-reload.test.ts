import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, end, publish, subscribe, waitFor } from '../helpers/hub.js';
import { account, login, observer, startRulesHub } from './rules-helpers.js';

const rule = (id: string, topic: string, payload: string) =>
  [`id: ${id}`, 'triggers:', '  - trigger: mqtt', `    topic: ${topic}`, 'actions:', '  - action: publish', `    topic: out/${id}`, `    payload: ${payload}`, ''].join('\n');

test('hot reload: a changed file is swapped in; a broken file is reported while its previous version keeps running; other rules never stop', async (t) => {
  const h = await startRulesHub({ files: { 'greeter.yaml': rule('greeter', 'test/go', 'v1'), 'other.yaml': rule('other', 'test/other', 'still here') } });
  t.after(() => h.stop());
  const api = await login(h.httpUrl);
  const watcher = await connect(h.mqttUrl, await observer(h, 'watcher'));
  t.after(() => end(watcher));
  await subscribe(watcher, 'out/#');
  const seen: string[] = [];
  watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  const client = await connect(h.mqttUrl, await account(h, 'client'));
  t.after(() => end(client));
  const go = async (topic: string, expect: string) => {
    await publish(client, topic, 'x');
    await waitFor(() => seen.at(-1) === expect, 5000, expect);
  };

  await go('test/go', 'out/greeter v1');
  fs.writeFileSync(path.join(h.rulesDir, 'greeter.yaml'), rule('greeter', 'test/go', 'v2'));
  await waitFor(async () => (await api.get('/api/rules/greeter')).body.text.includes('v2'), 5000, 'v2 loaded');
  await go('test/go', 'out/greeter v2');

  // Broken: a typo in a key. The error is reported with its place; v2 goes on.
  fs.writeFileSync(path.join(h.rulesDir, 'greeter.yaml'), rule('greeter', 'test/go', 'v3').replace('    topic: out', '    topik: out'));
  const broken = await waitFor(async () => {
    const { body } = await api.get('/api/rules/greeter');
    return body.status.errors.length ? body.status : undefined;
  }, 5000, 'error reported');
  assert.deepEqual(broken.errors, [
    { file: 'greeter.yaml', line: 6, column: 5, path: 'actions[0]', message: "missing required key 'topic'" },
    { file: 'greeter.yaml', line: 7, column: 5, path: 'actions[0].topik', message: "unknown key 'topik' (did you mean 'topic'?)" },
  ]);
  assert.equal(broken.state, 'running');
  assert.equal(broken.runningPrevious, true);
  await go('test/go', 'out/greeter v2');
  await go('test/other', 'out/other still here');

  // Fixed: the new version runs.
  fs.writeFileSync(path.join(h.rulesDir, 'greeter.yaml'), rule('greeter', 'test/go', 'v3'));
  await waitFor(async () => (await api.get('/api/rules/greeter')).body.status.errors.length === 0, 5000, 'fixed');
  await go('test/go', 'out/greeter v3');

  // A new file appears, and one goes away.
  fs.writeFileSync(path.join(h.rulesDir, 'newcomer.yaml'), rule('newcomer', 'test/new', 'hello'));
  await waitFor(async () => (await api.get('/api/rules/newcomer')).status === 200, 5000, 'newcomer');
  await go('test/new', 'out/newcomer hello');
  fs.rmSync(path.join(h.rulesDir, 'greeter.yaml'));
  await waitFor(async () => (await api.get('/api/rules/greeter')).status === 404, 5000, 'greeter gone');
  const count = seen.length;
  await publish(client, 'test/go', 'x');
  await go('test/other', 'out/other still here');
  assert.equal(seen.length, count + 1, 'the deleted rule no longer runs');

  // A rule broken from the first load has no version to run: state error.
  fs.writeFileSync(path.join(h.rulesDir, 'never.yaml'), 'id: never\ntriggers: []\n');
  const never = await waitFor(async () => (await api.get('/api/rules')).body.rules.find((r: any) => r.id === 'never'), 5000, 'never listed');
  assert.equal(never.state, 'error');
  assert.deepEqual(never.errors.map((e: any) => `${e.line}:${e.column} ${e.message}`).sort(), ['1:1 a rule needs at least one action (or a keep block)', '2:11 a rule needs at least one trigger (or a keep block)']);
});
