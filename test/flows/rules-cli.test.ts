import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { validateRuleText } from '../../rules/schema/index.js';
import { tempDir } from '../helpers/hub.js';
import { runCli } from '../helpers/process.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

test('rules examples copies the shipped rules once; rules check validates them, and exits 1 with file:line:col for a broken one', async (t) => {
  const dataDir = tempDir('rumah-cli-rules-');
  removeWhenDone(dataDir);
  const copied = await runCli(['rules', 'examples', '--data', dataDir]);
  assert.equal(copied.code, 0);
  assert.equal(copied.stdout, 'copied kitchen-hot-fan.yaml (disabled)\ncopied lights-on-count.yaml (disabled)\ncopied morning-lights.yaml (disabled)\n'
    + "enable one on the dashboard's Rules page, or set enabled: true in its file\n");
  // Added disabled (issue 18): read first, then enable; comments kept.
  for (const file of ['kitchen-hot-fan.yaml', 'lights-on-count.yaml', 'morning-lights.yaml']) {
    const text = fs.readFileSync(path.join(dataDir, 'rules', file), 'utf8');
    assert.equal(validateRuleText(text, file).rule?.enabled, false, file);
    assert.match(text, /^# /, file);
  }
  assert.equal((await runCli(['rules', 'examples', '--data', dataDir])).stdout, 'kept kitchen-hot-fan.yaml (exists)\nkept lights-on-count.yaml (exists)\nkept morning-lights.yaml (exists)\n');

  const ok = await runCli(['rules', 'check', '--data', dataDir]);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, '3 files checked: 3 valid\n');

  const broken = path.join(dataDir, 'broken.yaml');
  fs.writeFileSync(broken, 'id: lights-on-count\ntriggers:\n  - trigger: state\n    device: x\n    for: soon\nactions:\n  - action: log\n    mesage: x\n');
  const bad = await runCli(['rules', 'check', broken, '--json']);
  assert.equal(bad.code, 1);
  const [report] = JSON.parse(bad.stdout);
  assert.deepEqual(report.errors.map((e: any) => `${e.line}:${e.column} ${e.path}: ${e.message}`), [
    '5:10 triggers[0].for: invalid duration "soon": use a number of seconds, 30s, 5m, 1h30m or 00:05:00',
    "7:5 actions[0]: missing required key 'message'",
    "8:5 actions[0].mesage: unknown key 'mesage' (did you mean 'message'?)",
  ]);
  // The same id in two files of the rules folder.
  fs.copyFileSync(path.join(dataDir, 'rules', 'lights-on-count.yaml'), path.join(dataDir, 'rules', 'z-copy.yaml'));
  const dup = await runCli(['rules', 'check', '--data', dataDir]);
  assert.equal(dup.code, 1);
  assert.match(dup.stdout, /rules\/z-copy\.yaml:\d+:5: id: the rule id "lights-on-count" is already used by lights-on-count\.yaml\n4 files checked: 3 valid, 1 with 1 error\n$/);
});

test('rules test replays a fixture against a rule and prints every evaluation and publish', async (t) => {
  const dataDir = tempDir('rumah-cli-rules-');
  removeWhenDone(dataDir);
  await runCli(['rules', 'examples', '--data', dataDir]);
  const fixture = path.join(dataDir, 'hot.json');
  fs.writeFileSync(fixture, JSON.stringify([
    { topic: 'ourhome/firstfloor/kitchen/temperature', payload: '29' },
    { advance: '3m' },
    { topic: 'ourhome/firstfloor/kitchen/temperature', payload: 27.5 },
    { topic: 'ourhome/firstfloor/kitchen/temperature', payload: '28.6' },
    { advance: '5m' },
  ]));
  const out = await runCli(['rules', 'test', 'kitchen-hot-fan', fixture, '--data', dataDir]);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.split('\n');
  assert.ok(lines.includes("  #1  interrupted     triggers[0] (hot): 'for' interrupted after 3 min: ourhome/firstfloor/kitchen/temperature 27.5 is no longer above 28"), out.stdout);
  assert.ok(lines.includes('  → published "ON" to ourhome/firstfloor/kitchen/fan/set'), out.stdout);
  assert.equal(lines.filter((l) => l.startsWith('  → published')).length, 1);

  const json = await runCli(['rules', 'test', path.join(dataDir, 'rules', 'kitchen-hot-fan.yaml'), fixture, '--json']);
  const result = JSON.parse(json.stdout);
  assert.equal(result.rule, 'kitchen-hot-fan');
  assert.deepEqual(result.published.map((p: any) => [p.topic, p.payload]), [['ourhome/firstfloor/kitchen/fan/set', 'ON']]);
  assert.deepEqual(result.traces.map((tr: any) => tr.result), ['interrupted', 'not_fired', 'not_fired', 'done', 'not_fired']);
});
