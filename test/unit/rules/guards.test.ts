import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloodGuard, reenters, sourceOf } from '../../../rules/engine/guards.js';
import type { Cause } from '../../../server/core/model.js';

const limits = { maxCauseDepth: 10, floodRuns: 3, floodWindowMs: 1000 };
/** A run of rule r that r's own earlier run caused, rooted in device `id`: a re-entry, what the flood guard counts. */
const device = (id: string): Cause => ({ kind: 'rule', id: 'r', parent: { kind: 'rule', id: 'r', parent: { kind: 'device', id } } });

test('re-entries: a run whose chain already holds a run of the same rule', () => {
  assert.equal(reenters({ kind: 'rule', id: 'r', parent: { kind: 'device', id: 'x' } }), false);
  assert.equal(reenters({ kind: 'rule', id: 'r', parent: { kind: 'rule', id: 's', parent: { kind: 'device', id: 'x' } } }), false);
  assert.equal(reenters({ kind: 'rule', id: 'r', parent: { kind: 'device', id: 'x', parent: { kind: 'rule', id: 'r' } } }), true, 'through a device answering the rule');
  assert.equal(reenters({ kind: 'rule', id: 'r', parent: { kind: 'rule', id: 's', parent: { kind: 'rule', id: 'r' } } }), true, 'through another rule');
});

test('the flood guard never counts runs a device started directly, however many (issue 19)', () => {
  const guard = new FloodGuard(limits);
  for (let i = 0; i < 1000; i++) assert.equal(guard.hit({ kind: 'rule', id: 'r', parent: { kind: 'device', id: 'busy' } }, i), undefined);
  assert.deepEqual(guard.dropped(), {});
});

test('sourceOf: the root of the chain of causes', () => {
  assert.equal(sourceOf({ kind: 'rule', id: 'a', parent: { kind: 'rule', id: 'b', parent: { kind: 'device', id: 'x' } } }), 'device x');
  assert.equal(sourceOf({ kind: 'rule', id: 'a', parent: { kind: 'schedule', id: 'start' } }), 'schedule start');
  assert.equal(sourceOf({ kind: 'restore' }), 'restore');
});

test('the flood guard counts per source: one source over its share is dropped, another still runs; the share comes back as the window moves', () => {
  const guard = new FloodGuard(limits);
  for (let i = 0; i < 3; i++) assert.equal(guard.hit(device('a'), 0), undefined);
  const verdict = guard.hit(device('a'), 10);
  assert.equal(verdict?.source, 'device a');
  assert.equal(verdict?.dropped, 1);
  assert.equal(guard.hit(device('a'), 20)?.dropped, 2);
  assert.equal(guard.hit(device('b'), 20), undefined, 'another source has its own share');
  assert.deepEqual(guard.dropped(), { 'device a': 2 });
  // Two windows later the old runs count nothing; dropped runs were never counted as runs.
  assert.equal(guard.hit(device('a'), 2100), undefined);
});

test('at most 1,024 sources per rule: idle ones are forgotten first, then the rest share one count', () => {
  const guard = new FloodGuard(limits);
  for (let i = 0; i < 1024; i++) guard.hit(device(`d${i}`), 0);
  // All 1,024 are recent: a new source shares "other sources".
  for (let i = 0; i < 3; i++) assert.equal(guard.hit(device(`new${i}`), 100), undefined);
  assert.equal(guard.hit(device('new3'), 100)?.source, 'other sources');
  // Two windows later the idle ones are forgotten: a new source is counted by itself again.
  assert.equal(guard.hit(device('late'), 5000), undefined);
  for (let i = 0; i < 3; i++) guard.hit(device('late'), 5000);
  assert.equal(guard.hit(device('late'), 5000)?.source, 'device late');
});
