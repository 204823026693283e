// The key reference the editor completes from (GET /api/rules/validate/keys) is the validator's own tables: every
// key it lists is accepted where it lists it, and a key it does not list is refused there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleKeyReference, validateRuleText } from '../../../rules/schema/index.js';

const unknownKeys = (text: string): string[] => validateRuleText(text, 'r.yaml').errors.filter((e) => e.message.startsWith('unknown key')).map((e) => e.message);

test('every listed key of every trigger, condition and action kind is accepted there; others are not', () => {
  const ref = ruleKeyReference();
  const places: Array<[string, Record<string, readonly string[]>, (kind: string, key: string) => string]> = [
    ['trigger', ref.triggers, (kind, key) => `triggers:\n  - trigger: ${kind}\n    ${key}: x\nactions:\n  - action: log\n    message: m\n`],
    ['condition', ref.conditions, (kind, key) => `triggers:\n  - trigger: start\nconditions:\n  - condition: ${kind}\n    ${key}: x\nactions:\n  - action: log\n    message: m\n`],
    ['action', ref.actions, (kind, key) => `triggers:\n  - trigger: start\nactions:\n  - action: ${kind}\n    ${key}: x\n`],
  ];
  for (const [kindKey, kinds, text] of places) {
    assert.ok(Object.keys(kinds).length >= 8, kindKey);
    for (const [kind, keys] of Object.entries(kinds)) {
      for (const key of keys.filter((k) => k !== kindKey)) assert.deepEqual(unknownKeys(text(kind, key)), [], `${kindKey} ${kind}: ${key}`);
      assert.equal(unknownKeys(text(kind, 'zzz_not_a_key')).length, 1, `${kindKey} ${kind}`);
    }
  }
  for (const key of ref.rule) assert.deepEqual(unknownKeys(`${key}: x\n`), [], key);
  assert.deepEqual(ref.triggers.state, ['trigger', 'id', 'device', 'topic', 'property', 'from', 'to', 'for']);
  assert.deepEqual(ref.values.mode, ['single', 'restart', 'queued', 'parallel']);
});
