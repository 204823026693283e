import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTestStore } from './helpers.js';

test('settings: deletePrefix removes the keys that start with the prefix as text (no LIKE wildcards), and nothing else', async (t) => {
  const { settings } = await openTestStore(t);
  for (const key of ['bridge.session:a', 'bridge.session:b', 'bridge.sessionX', 'other', 'a_b', 'axb', 'a%c']) await settings.set(key, key);
  assert.equal(await settings.deletePrefix('bridge.session:'), 2);
  assert.equal(await settings.get('bridge.session:a'), undefined);
  assert.equal(await settings.get('bridge.sessionX'), 'bridge.sessionX');
  assert.equal(await settings.deletePrefix('a_'), 1, "'_' is not a wildcard");
  assert.equal(await settings.get('axb'), 'axb');
  assert.equal(await settings.deletePrefix('a%'), 1, "'%' is not a wildcard");
  assert.deepEqual(await Promise.all(['other', 'axb', 'a_b', 'a%c'].map((k) => settings.get(k))), ['other', 'axb', undefined, undefined]);
});
