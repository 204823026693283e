import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandLimit } from '../../../server/api/command-limit.js';

test('CommandLimit: a burst, then one command per 1/rate seconds, per person', () => {
  let now = 0;
  const limit = new CommandLimit({ rate: 2, burst: 3, now: () => now });
  assert.deepEqual([limit.take('a'), limit.take('a'), limit.take('a')], [0, 0, 0]);
  assert.equal(limit.take('a'), 500, 'the next one in 500 ms');
  assert.equal(limit.take('b'), 0, 'b has its own bucket');
  now = 250;
  assert.equal(limit.take('a'), 250);
  now = 500;
  assert.equal(limit.take('a'), 0);
  assert.equal(limit.take('a'), 500);
  now = 60_000;
  assert.deepEqual([limit.take('a'), limit.take('a'), limit.take('a'), limit.take('a')], [0, 0, 0, 500], 'a pause refills up to the burst, no more');
});
