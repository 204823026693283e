import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentMessages } from '../../../server/core/recent-messages.js';

const msg = (payload: string, topic = 'ourhome/firstfloor/kitchen/power') => ({ topic, payload: Buffer.from(payload), qos: 0 as const, retain: false });

test('the last 10 messages of a device, oldest first, each payload as the text it was when it came', () => {
  const recent = new RecentMessages();
  const payloads = ['1', '{"a":1}', 'x'.repeat(100), '22', '€'.repeat(300), '3', '4', '5', '6', '7', '8', '9'];
  payloads.forEach((p, i) => recent.add('d', msg(p), i));
  const got = recent.for('d');
  assert.deepEqual(got.map((m) => m.ts), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(got[0]!.payload, 'x'.repeat(100));
  // 300 three-byte characters: cut at 256 characters, not in the middle of one.
  assert.equal(got[2]!.payload, '€'.repeat(256));
  // A slot reused for a shorter payload shows only that payload.
  recent.add('d', msg('short'), 12);
  assert.equal(recent.for('d').at(-1)!.payload, 'short');
  assert.deepEqual(recent.for('other'), []);
});
