import { test } from 'node:test';
import assert from 'node:assert/strict';
import { report, sandbox, sent, tracesOf, yaml } from './engine-helpers.js';

const slow = (mode: string, extra: string[] = []) =>
  yaml(
    `id: slow-${mode}`,
    `mode: ${mode}`,
    ...extra,
    'triggers:',
    '  - trigger: mqtt',
    '    topic: test/go',
    'actions:',
    '  - action: publish',
    `    topic: out/${mode}`,
    '    payload: "start {{ payload }}"',
    '  - action: delay',
    '    duration: 1m',
    '  - action: publish',
    `    topic: out/${mode}`,
    '    payload: "end {{ payload }}"',
  );

test('mode single: a fire while running is skipped, with the reason in its trace', async (t) => {
  const sb = await sandbox(t, { 's.yaml': slow('single') });
  await report(sb, 'test/go', '1');
  await report(sb, 'test/go', '2');
  await sb.clock.advance(60_000);
  assert.deepEqual(sent(sb, 'out/'), ['out/single start 1', 'out/single end 1']);
  const skipped = tracesOf(sb, 'slow-single').find((tr) => tr.result === 'skipped')!;
  assert.equal(skipped.reason, 'already running (mode: single): this fire was skipped');
});

test('mode restart: the running run is cancelled and the new one starts', async (t) => {
  const sb = await sandbox(t, { 'r.yaml': slow('restart') });
  await report(sb, 'test/go', '1');
  await sb.clock.advance(30_000);
  await report(sb, 'test/go', '2');
  await sb.clock.advance(60_000);
  assert.deepEqual(sent(sb, 'out/'), ['out/restart start 1', 'out/restart start 2', 'out/restart end 2']);
  const cancelled = tracesOf(sb, 'slow-restart').find((tr) => tr.result === 'cancelled')!;
  assert.equal(cancelled.reason, 'restarted: the rule fired again while this run was going (mode: restart)');
  assert.equal(sb.engine.timers.count('slow-restart'), 0, 'the cancelled delay left no timer');
});

test('mode queued: runs wait their turn up to max; beyond it fires are skipped', async (t) => {
  const sb = await sandbox(t, { 'q.yaml': slow('queued', ['max: 2']) });
  for (const n of ['1', '2', '3']) await report(sb, 'test/go', n);
  await sb.clock.advance(60_000);
  await sb.clock.advance(60_000);
  assert.deepEqual(sent(sb, 'out/'), ['out/queued start 1', 'out/queued end 1', 'out/queued start 2', 'out/queued end 2']);
  const results = tracesOf(sb, 'slow-queued').map((tr) => tr.result).sort();
  assert.deepEqual(results, ['done', 'done', 'skipped']);
  assert.equal(tracesOf(sb, 'slow-queued').find((tr) => tr.result === 'skipped')!.reason, '2 runs already running or queued (max: 2): this fire was skipped');
});

test('mode parallel: runs side by side up to max', async (t) => {
  const sb = await sandbox(t, { 'p.yaml': slow('parallel', ['max: 2']) });
  for (const n of ['1', '2', '3']) await report(sb, 'test/go', n);
  await sb.clock.advance(60_000);
  assert.deepEqual(sent(sb, 'out/'), ['out/parallel start 1', 'out/parallel start 2', 'out/parallel end 1', 'out/parallel end 2']);
  assert.equal(tracesOf(sb, 'slow-parallel').find((tr) => tr.result === 'skipped')!.reason, '2 runs already running (max: 2): this fire was skipped');
});
