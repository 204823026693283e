import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../rules/engine/clock.js';
import { TraceRecorder, type Trace } from '../../../rules/engine/trace.js';

// What the recorder hands to TraceStore (drain): each change once, only traces still in their ring, and under a
// budget each rule's newest in turns.

const ids = (traces: Trace[]): string[] => traces.map((t) => `${t.ruleId}:${t.reason}`).sort();

test('drain hands over each changed trace once; a later change hands it over again', async () => {
  const clock = new ManualClock(1_000);
  const recorder = new TraceRecorder(clock, 3);
  const run = recorder.begin('a', { result: 'running', fired: true, reason: 'r1' });
  recorder.begin('a', { result: 'not_fired', fired: false, reason: 'm1' });
  assert.deepEqual(ids(recorder.drain()), ['a:m1', 'a:r1']);
  assert.deepEqual(recorder.drain(), [], 'nothing changed since');
  await clock.advance(10);
  run.step('actions[0]', 'log', 'said hello');
  run.set('done');
  const again = recorder.drain();
  assert.equal(again.length, 1, 'two changes, one write');
  assert.equal(again[0]!.result, 'done');
  assert.equal(again[0]!.steps.length, 1);
});

test('a trace pushed out of its ring before it was written is not written, nor after a later change', async () => {
  const recorder = new TraceRecorder(new ManualClock(1_000), 2);
  const first = recorder.begin('a', { result: 'running', fired: true, reason: 'r1' });
  recorder.begin('a', { result: 'done', fired: true, reason: 'r2' });
  recorder.begin('a', { result: 'done', fired: true, reason: 'r3' });
  assert.deepEqual(ids(recorder.drain()), ['a:r2', 'a:r3']);
  first.set('done');
  assert.deepEqual(recorder.drain(), [], 'r1 left the ring: TraceStore would prune it at once');
  assert.deepEqual(recorder.list('a').map((t) => t.reason), ['r3', 'r2']);
});

test('over the budget each rule gets its newest first, in turns; the rest is not written', async () => {
  const clock = new ManualClock(1_000);
  const recorder = new TraceRecorder(clock, 25);
  for (let i = 0; i < 10; i++) {
    await clock.advance(1);
    recorder.begin('busy', { result: 'done', fired: true, reason: `b${i}` });
  }
  await clock.advance(1);
  recorder.begin('quiet', { result: 'done', fired: true, reason: 'q0' });
  assert.deepEqual(ids(recorder.drain(3)), ['busy:b8', 'busy:b9', 'quiet:q0']);
  assert.deepEqual(recorder.drain(), [], 'what did not fit is not written later either');
});

test('a pending evaluation that fires moves to the runs ring and is written; forget drops a rule', async () => {
  const clock = new ManualClock(1_000);
  const recorder = new TraceRecorder(clock, 2);
  const pending = recorder.begin('a', { result: 'pending', fired: false, reason: 'p' });
  recorder.drain();
  pending.fired();
  const written = recorder.drain();
  assert.equal(written.length, 1);
  assert.equal(written[0]!.fired, true);
  assert.equal(recorder.lastRun('a')?.reason, 'p');
  pending.set('done');
  recorder.forget('a');
  assert.deepEqual(recorder.drain(), [], 'a forgotten rule writes nothing');
  assert.deepEqual(recorder.list('a'), []);
});
