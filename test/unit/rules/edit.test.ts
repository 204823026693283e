import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ruleToYaml, setRuleValue, updateRuleText, validateRuleText } from '../../../rules/schema/index.js';
import type { PublishAction, Rule } from '../../../rules/types.js';

const EXAMPLES = fileURLToPath(new URL('../../../../rules/examples/', import.meta.url));
const read = (name: string) => readFileSync(EXAMPLES + name, 'utf8');
const ruleOf = (text: string, file = 'kitchen-hot-fan.yaml'): Rule => {
  const result = validateRuleText(text, file);
  assert.deepEqual(result.errors, []);
  return result.rule!;
};
const edit = (rule: Rule, change: (draft: Rule) => void): Rule => {
  const draft = structuredClone(rule);
  change(draft);
  return draft;
};

/** Lines only in `before` and lines only in `after` (as multisets): what an edit really changed. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const count = new Map<string, number>();
  for (const line of before.split('\n')) count.set(line, (count.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after.split('\n')) {
    const n = count.get(line) ?? 0;
    if (n > 0) count.set(line, n - 1);
    else added.push(line);
  }
  const removed = [...count].flatMap(([line, n]) => Array<string>(n).fill(line));
  return { removed, added };
}

test('setRuleValue: enabled: false is one new line, in its place among the keys; comments untouched', () => {
  const text = read('kitchen-hot-fan.yaml');
  const out = setRuleValue(text, ['enabled'], false);
  assert.deepEqual(changedLines(text, out), { removed: [], added: ['enabled: false'] });
  const lines = out.split('\n');
  assert.equal(lines[lines.indexOf('enabled: false') - 1], 'description: Fan on after 5 minutes above 28 °C, off below 26 °C.');
  assert.equal(ruleOf(out).enabled, false);
  // And back: the value changes in place.
  assert.deepEqual(changedLines(out, setRuleValue(out, ['enabled'], true)), { removed: ['enabled: false'], added: ['enabled: true'] });
});

test('setRuleValue: a nested value, and removing a key', () => {
  const text = read('kitchen-hot-fan.yaml');
  assert.deepEqual(changedLines(text, setRuleValue(text, ['triggers', 0, 'above'], 29)), { removed: ['    above: 28'], added: ['    above: 29'] });
  assert.deepEqual(changedLines(text, setRuleValue(text, ['description'], undefined)), {
    removed: ['description: Fan on after 5 minutes above 28 °C, off below 26 °C.'],
    added: [],
  });
});

test('updateRuleText writes only what changed in the rule, keeping every comment and blank line', () => {
  const text = read('kitchen-hot-fan.yaml');
  const rule = ruleOf(text);
  const changed = edit(rule, (r) => {
    r.enabled = false;
    (r.triggers[0] as { for?: number }).for = 600_000;
    (r.triggers[1] as { below?: number }).below = 25;
  });
  const out = updateRuleText(text, changed, 'kitchen-hot-fan.yaml');
  assert.deepEqual(changedLines(text, out), {
    removed: ['    for: 5m', '    below: 26'],
    added: ['enabled: false', '    for: 10m', '    below: 25'],
  });
  assert.deepEqual(ruleOf(out), changed);
});

test('updateRuleText: an unchanged rule leaves the text byte for byte, even in styles the writer would change', () => {
  const text = ['# header', '', 'id: styled   # spaced comment', 'triggers:', '- {trigger: start, id: boot}', 'conditions:', '    - "1 < 2"', 'actions:', '- action: log', "  message: 'hi'", ''].join('\n');
  assert.equal(updateRuleText(text, ruleOf(text, 'styled.yaml'), 'styled.yaml'), text);
  for (const name of ['kitchen-hot-fan.yaml', 'lights-on-count.yaml', 'morning-lights.yaml']) {
    assert.equal(updateRuleText(read(name), ruleOf(read(name), name), name), read(name));
  }
});

test('updateRuleText: appended actions, replaced payloads and removed keys; quoting kept and added where YAML 1.1 would misread', () => {
  const text = read('kitchen-hot-fan.yaml');
  const rule = ruleOf(text);
  const changed = edit(rule, (r) => {
    delete r.description;
    const choose = r.actions[0] as { options: Array<{ actions: PublishAction[] }> };
    choose.options[1]!.actions[0]!.payload = 'off';
    choose.options[1]!.actions.push({ action: 'publish', topic: 'ourhome/stats/fan', payload: 'ON', retain: true });
  });
  const out = updateRuleText(text, changed, 'kitchen-hot-fan.yaml');
  assert.deepEqual(changedLines(text, out), {
    removed: ['description: Fan on after 5 minutes above 28 °C, off below 26 °C.', '            payload: "OFF"'],
    added: ['            payload: "off"', '          - action: publish', '            topic: ourhome/stats/fan', '            payload: "ON"', '            retain: true'],
  });
  assert.deepEqual(ruleOf(out), changed);
});

test('updateRuleText: a shorthand condition replaced by a full one; a file that does not validate can still be repaired', () => {
  const text = read('morning-lights.yaml');
  const rule = ruleOf(text, 'morning-lights.yaml');
  const changed = edit(rule, (r) => {
    r.conditions = [{ condition: 'time', weekday: ['mon'] }];
  });
  const out = updateRuleText(text, changed, 'morning-lights.yaml');
  assert.deepEqual(ruleOf(out, 'morning-lights.yaml'), changed);
  assert.ok(out.includes('# If the hub was down at 06:45'), 'comments elsewhere stay');

  const broken = 'id: fixme\n# keep me\ntriggers:\n  - trigger: strat\nactions: []\n';
  const repaired = updateRuleText(broken, { id: 'fixme', name: 'fixme', enabled: true, mode: 'single', triggers: [{ trigger: 'start' }], conditions: [], actions: [{ action: 'log', message: 'up' }] });
  assert.ok(repaired.includes('# keep me'));
  assert.deepEqual(validateRuleText(repaired, 'fixme.yaml').errors, []);
});

test('editing refuses a file with YAML syntax errors rather than guessing', () => {
  assert.throws(() => setRuleValue('triggers: [\n', ['enabled'], false), { code: 'RUMAH_ERR_INVALID_VALUE' });
});

test('ruleToYaml writes a new file that validates back to the same rule', () => {
  for (const name of ['kitchen-hot-fan.yaml', 'lights-on-count.yaml', 'morning-lights.yaml']) {
    const rule = ruleOf(read(name), name);
    const text = ruleToYaml(rule);
    assert.deepEqual(ruleOf(text, name), rule, name);
  }
  const text = ruleToYaml(ruleOf(read('kitchen-hot-fan.yaml')));
  assert.ok(text.includes('    for: 5m\n'), 'durations as text');
  assert.ok(text.includes('            payload: "ON"\n'), 'ON quoted for YAML 1.1 readers');
  assert.ok(text.includes('            id: hot\n'), 'a list of one id written as one value');
  assert.ok(!text.includes('conditions: []'), 'empty optional lists left out');
});
