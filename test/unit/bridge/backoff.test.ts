import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../server/bridge/backoff.js';

test('reconnect delays start at 1 s, double to 60 s, and reset', () => {
  const middle = new Backoff({ random: () => 0.5 });
  assert.deepEqual(Array.from({ length: 9 }, () => middle.next()), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  middle.reset();
  assert.equal(middle.next(), 1000);
});

test('each delay has up to ±20 % jitter', () => {
  assert.equal(new Backoff({ random: () => 0 }).next(), 800);
  assert.equal(new Backoff({ random: () => 0.999999 }).next(), 1200);
});
