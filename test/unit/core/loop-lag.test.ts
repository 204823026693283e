import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopLag } from '../../../server/core/loop-lag.js';

test('a blocked event loop shows as lag in the window\'s p99 and max', async () => {
  const lag = new LoopLag(60_000);
  lag.start();
  try {
    await sleep(50);
    const until = Date.now() + 150;
    while (Date.now() < until) {
      // Busy: nothing else may run, as when a handler hogs the loop.
    }
    await sleep(30);
    lag.roll();
    assert.ok(lag.maxMs >= 130, `max lag ${lag.maxMs} ms after a 150 ms block`);
    // A dozen samples in the window: the blocked one is its 99th percentile.
    assert.ok(lag.p99Ms >= 130, `p99 lag ${lag.p99Ms} ms after a 150 ms block`);
  } finally {
    lag.stop();
  }
});
