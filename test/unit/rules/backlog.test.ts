import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RulesBacklog } from '../../../rules/engine/backlog.js';

test('the rules backlog: publishers held from holdAt, a fire refused and counted when full, places given back', () => {
  const backlog = new RulesBacklog({ max: 3, holdAt: 2 });
  assert.equal(backlog.enter(), true);
  assert.equal(backlog.behind, false);
  assert.equal(backlog.enter(), true);
  assert.equal(backlog.behind, true, 'from holdAt the broker holds publishers');
  assert.equal(backlog.enter(), true);
  assert.equal(backlog.enter(), false, 'full');
  assert.deepEqual(backlog.counters, { waited: 3, full: 1 });
  assert.equal(backlog.fullReason(), "the rules' backlog is full (3 fires waiting in all)");
  for (let i = 0; i < 3; i++) backlog.leave();
  backlog.leave(); // one too many never goes below zero
  assert.equal(backlog.length, 0);
  assert.equal(backlog.behind, false);
  assert.equal(backlog.enter(), true);
});
