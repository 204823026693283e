import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowControl } from '../../../server/mqtt/flow-control.js';

test('a client within its burst goes through at once; beyond it waits, in order', async () => {
  let now = 0;
  const flow = new FlowControl({ rate: 1000, burst: 3, maxQueued: 100, queued: () => 0, now: () => now });
  const order: number[] = [];
  for (let i = 0; i < 5; i++) flow.admit('c1', () => order.push(i));
  assert.deepEqual(order, [0, 1, 2], 'the burst passes synchronously');
  flow.admit('c2', () => order.push(100));
  assert.deepEqual(order, [0, 1, 2, 100], 'other clients are not held back by c1');
  now = 2; // 2 ms at 1000/s: two more tokens
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, [0, 1, 2, 100, 3, 4]);
  assert.equal(flow.throttled, 2);
  flow.stop();
});

test('every client waits while the broker queue is full', async () => {
  let queued = 500;
  const flow = new FlowControl({ rate: 1e6, burst: 1e6, maxQueued: 100, queued: () => queued });
  let ran = false;
  flow.admit('c1', () => (ran = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(ran, false);
  queued = 0;
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(ran, true);
  flow.stop();
});

test('every client waits while held (the history writer far behind), in order, and goes on when it is not', async () => {
  let held = true;
  const flow = new FlowControl({ rate: 1e6, burst: 1e6, maxQueued: 100, queued: () => 0, held: () => held });
  const order: number[] = [];
  assert.equal(flow.tryAdmit('c1'), false);
  for (let i = 0; i < 3; i++) flow.admit('c1', () => order.push(i));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(order, [], 'nothing passes while held');
  held = false;
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(order, [0, 1, 2]);
  assert.equal(flow.tryAdmit('c1'), true);
  flow.stop();
});
