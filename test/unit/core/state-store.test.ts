import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { MAX_ACCOUNT_STATE_CHARS, MAX_DEVICE_STATE_CHARS, MAX_STATE_VALUE_CHARS } from '../../../devices/shared/limits.js';
import { EventBus } from '../../../server/core/event-bus.js';
import type { HubEvents } from '../../../server/core/events.js';
import { StateStore } from '../../../server/core/state-store.js';

// The state store bounds every value it keeps (per value and per device), the one place every convention's
// report goes through; the device total follows values as they are replaced, restored and removed.

const cause = { kind: 'device', id: 'd' } as const;
const source = { topic: 'ourhome/x/y/d', username: 'dev' };

function store() {
  const bus = new EventBus(pino({ level: 'silent' }));
  const states = new StateStore(bus);
  const rejected: Array<HubEvents['deviceRejected']> = [];
  bus.on('deviceRejected', 'test', (e) => rejected.push(e));
  return { states, rejected };
}

test('a value over the per-value bound is refused with a reason for the device log; the previous value stays', () => {
  const { states, rejected } = store();
  states.apply('d', { note: 'short' }, cause, 1, source);
  assert.equal(states.apply('d', { note: 'n'.repeat(MAX_STATE_VALUE_CHARS + 1), other: 1 }, cause, 2, source), 1);
  assert.equal(states.value('d', 'note'), 'short');
  assert.equal(states.value('d', 'other'), 1);
  assert.equal(rejected.length, 1);
  assert.deepEqual({ ...rejected[0], reason: undefined }, { topic: source.topic, username: 'dev', deviceId: 'd', reason: undefined });
  assert.match(rejected[0]!.reason, /state "note" not stored: value larger than the 65536-character limit/);
  // Objects are measured too, without building their JSON.
  states.apply('d', { obj: { list: Array.from({ length: 20_000 }, (_, i) => `item${i}`) } }, cause, 3, source);
  assert.equal(states.value('d', 'obj'), undefined);
  assert.equal(states.refused, 2);
  // Exactly at the bound is kept (an HA template's largest output).
  states.apply('e', { max: 'm'.repeat(MAX_STATE_VALUE_CHARS) }, cause, 4, source);
  assert.equal((states.value('e', 'max') as string).length, MAX_STATE_VALUE_CHARS);
});

test('the device total: refused past it, and room made again when a big value is replaced by a small one', () => {
  const { states, rejected } = store();
  const blob = (c: string) => c.repeat(60_000);
  for (const p of ['a', 'b', 'c', 'd', 'e']) states.apply('d', { [p]: blob(p) }, cause, 1, source);
  assert.deepEqual(Object.keys(states.get('d')!), ['a', 'b', 'c', 'd']);
  assert.match(rejected[0]!.reason, /state "e" not stored: value would take the device's state past its 262144-character limit/);
  assert.ok(states.size('d') <= MAX_DEVICE_STATE_CHARS);
  // Replacing a blob with the same size fits; replacing it with a word frees its room.
  states.apply('d', { a: blob('z') }, cause, 2, source);
  assert.equal(states.value('d', 'a'), blob('z'));
  states.apply('d', { a: 'small' }, cause, 3, source);
  states.apply('d', { e: blob('e') }, cause, 4, source);
  assert.equal(states.value('d', 'e'), blob('e'));
  // Other devices have their own total.
  states.apply('other', { a: blob('o') }, cause, 5, source);
  assert.equal(states.value('other', 'a'), blob('o'));
  states.remove('d');
  assert.equal(states.size('d'), 0);
});

test('restore skips a stored value over the bounds (a rumah.db from before them) instead of keeping it', () => {
  const { states } = store();
  assert.equal(states.restore('d', 'ok', { value: 'fine', ts: 1, cause }), true);
  assert.equal(states.restore('d', 'big', { value: 'b'.repeat(100_000), ts: 1, cause }), false);
  assert.equal(states.value('d', 'big'), undefined);
  for (let i = 0; i < 5; i++) states.restore('d', `blob${i}`, { value: 'x'.repeat(60_000), ts: 1, cause });
  assert.ok(states.size('d') <= MAX_DEVICE_STATE_CHARS);
  assert.equal(Object.keys(states.get('d')!).length, 5, 'ok and four blobs');
});

test('the account total: one account cannot hold more than MAX_ACCOUNT_STATE_CHARS over all its devices', () => {
  const { states, rejected } = store();
  const full = (i: number) => Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`b${k}`, String(i % 10).repeat(60_000)]));
  const perDevice = 4 * 60_000;
  const fit = Math.floor(MAX_ACCOUNT_STATE_CHARS / perDevice);
  for (let i = 0; i < fit; i++) assert.equal(states.apply(`dev${i}`, full(i), cause, 1, source), 4);
  assert.equal(rejected.length, 0);
  assert.ok(states.accountSize('dev') <= MAX_ACCOUNT_STATE_CHARS);
  // The next device of the same account gets what still fits, the rest is refused, naming the account's limit.
  states.apply('one-more', full(1), cause, 2, source);
  assert.ok(Object.keys(states.get('one-more') ?? {}).length < 4);
  assert.match(rejected.at(-1)!.reason, /past their 16777216-character limit/);
  // Another account is not affected; a device removed frees its account's room.
  assert.equal(states.apply('theirs', full(2), cause, 3, { topic: 't', username: 'other' }), 4);
  states.remove('dev0');
  assert.equal(states.apply('one-more', full(3), cause, 4, source), 4);
  assert.ok(states.accountSize('dev') <= MAX_ACCOUNT_STATE_CHARS);
  // A device that reports under another account moves its charge there.
  const before = states.accountSize('other');
  states.apply('dev1', { b0: 'small' }, cause, 5, { topic: 't', username: 'other' });
  assert.equal(states.accountSize('other'), before + states.size('dev1'));
});
