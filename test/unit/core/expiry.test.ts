import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Expiry } from '../../../server/core/expiry.js';
import type { Device } from '../../../server/core/model.js';

const device = (id: string, expireAfter?: number): Device => ({
  id, name: id, convention: 'homeassistant', topic: id, availability: 'online', createdAt: 0,
  capabilities: [{ property: 'temperature', kind: 'numeric', access: { reported: true, settable: false, readable: false }, ...(expireAfter ? { expireAfter } : {}) } as Device['capabilities'][number]],
});

test('expire_after: silent devices expire, reporting ones do not, devices without it never', () => {
  let now = 0;
  const expired: string[] = [];
  const expiry = new Expiry((id) => expired.push(id), () => now);
  for (const d of [device('a', 60), device('b', 60), device('c')]) expiry.configure(d);
  expiry.touch('a');
  expiry.touch('b');
  expiry.touch('c');
  now = 59_000;
  expiry.touch('b'); // b reports again
  expiry.sweep();
  assert.deepEqual(expired, []);
  now = 60_000;
  expiry.sweep();
  assert.deepEqual(expired, ['a']);
  now = 200_000;
  expiry.sweep();
  assert.deepEqual(expired, ['a', 'b'], 'each expires once; c has no expire_after');
  expiry.stop();
});

test('expire_after: a device configured again follows its new capabilities', () => {
  let now = 0;
  const expired: string[] = [];
  const expiry = new Expiry((id) => expired.push(id), () => now);
  expiry.configure(device('a', 60));
  expiry.configure(device('b'));
  expiry.touch('a');
  expiry.touch('b');
  expiry.configure(device('a')); // its discovery config dropped expire_after: the running deadline goes too
  expiry.configure(device('b', 10)); // b gained one: counted from its next report
  now = 1_000;
  expiry.touch('b');
  now = 100_000;
  expiry.sweep();
  assert.deepEqual(expired, ['b']);
  expiry.stop();
});
