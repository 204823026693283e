import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeColumns, type QueuedChange } from '../../../server/store/change-columns.js';
import type { Cause } from '../../../server/core/model.js';

const device: Cause = { kind: 'device' };
const rule: Cause = { kind: 'rule', ruleId: 'r1' } as Cause;
const change = (i: number, value: QueuedChange['value'], cause = device): QueuedChange => ({ deviceId: `d${i}`, property: `p${i % 3}`, value, ts: 1_700_000_000_000 + i, cause });
const values = (c: ChangeColumns): QueuedChange[] => Array.from({ length: c.length }, (_, i) => c.at(i));

test('columns grow past their first capacity and give every change back whole, in order', () => {
  const q = new ChangeColumns(4);
  const sent = Array.from({ length: 37 }, (_, i) => change(i, i % 5 === 0 ? `text ${i}` : i % 7 === 0 ? { nested: [i] } : i + 0.5, i % 2 ? rule : device));
  for (const c of sent) q.push(c, typeof c.value === 'number' ? 0 : JSON.stringify(c.value).length);
  assert.equal(q.length, 37);
  assert.deepEqual(values(q), sent);
});

test('takeFirst(n) splits the queue; the rest stays in order with its characters', () => {
  const q = new ChangeColumns(4);
  const sent = Array.from({ length: 10 }, (_, i) => change(i, `v${i}`));
  for (const c of sent) q.push(c, 2);
  const first = q.takeFirst(3);
  assert.deepEqual(values(first), sent.slice(0, 3));
  assert.equal(first.chars, 6);
  assert.deepEqual(values(q), sent.slice(3));
  assert.equal(q.chars, 14);
  q.push(change(10, 42), 0);
  assert.deepEqual(values(q), [...sent.slice(3), change(10, 42)]);
});

test('a written batch given back holds the next batch: nothing of the old one shows through', () => {
  const q = new ChangeColumns(8);
  for (let i = 0; i < 6; i++) q.push(change(i, i % 2 ? `old ${i}` : i), i % 2 ? 5 : 0);
  const batch = q.takeFirst(Infinity);
  assert.equal(q.length, 0);
  assert.equal(q.chars, 0);
  q.recycle(batch);
  assert.equal(batch.length, 0, 'a recycled batch is empty');
  const next = [change(100, 1.25), change(101, 'new')];
  for (const c of next) q.push(c, typeof c.value === 'number' ? 0 : 3);
  const taken = q.takeFirst(Infinity);
  assert.equal(taken, batch, 'the recycled columns are handed out again');
  assert.deepEqual(values(taken), next);
  assert.equal(taken.chars, 3);
  // And the queue writes into the storage the first batch had: still whole.
  q.push(change(200, 'after'), 5);
  assert.deepEqual(values(q), [change(200, 'after')]);
});
