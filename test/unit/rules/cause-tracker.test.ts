import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CauseTracker } from '../../../rules/engine/cause-tracker.js';
import type { MqttMessage } from '../../../server/core/events.js';
import type { Cause } from '../../../server/core/model.js';

// The rule's cause travels with its publish through the broker (rules/engine/cause-tracker.ts): matched by topic and
// payload when the message comes back from the broker without a client id.

const cause = (rule: string): Cause => ({ kind: 'rule', id: rule });
const back = (topic: string, payload: string): MqttMessage => ({ topic, payload: Buffer.from(payload), qos: 0, retain: false });

function dispatch(tracker: CauseTracker, msg: MqttMessage): Cause | undefined {
  tracker.enter(msg);
  const found = tracker.causeOf(msg);
  tracker.leave(msg);
  return found;
}

test('each publish of a rule comes back with its cause, in order, again and again on the same topic', () => {
  const tracker = new CauseTracker();
  for (let round = 0; round < 3; round++) {
    tracker.expect('rb/out/1', Buffer.from(`a${round}`), cause(`r${round}a`));
    tracker.expect('rb/out/1', Buffer.from(`b${round}`), cause(`r${round}b`));
    assert.deepEqual(dispatch(tracker, back('rb/out/1', `b${round}`)), cause(`r${round}b`), 'matched by payload, not only by order');
    assert.deepEqual(dispatch(tracker, back('rb/out/1', `a${round}`)), cause(`r${round}a`));
    assert.equal(dispatch(tracker, back('rb/out/1', `a${round}`)), undefined, 'taken once');
  }
  // A device's own message (it has a client id) never takes a rule's cause.
  tracker.expect('rb/out/2', undefined, cause('cmd'));
  const fromDevice = { ...back('rb/out/2', 'x'), clientId: 'device-1' } as MqttMessage;
  assert.equal(dispatch(tracker, fromDevice), undefined);
  assert.deepEqual(dispatch(tracker, back('rb/out/2', 'anything')), cause('cmd'), 'a command matches any payload');
});

test('topics a rule publishes on once each (templated topics) do not pile up: a publish that never comes back expires and is swept', (t) => {
  const tracker = new CauseTracker();
  const held = (): number => (tracker as unknown as { expected: Map<string, unknown[]> }).expected.size;
  for (let i = 0; i < 5000; i++) {
    tracker.expect(`rb/out/t${i}`, Buffer.from('1'), cause(`r${i}`));
    assert.deepEqual(dispatch(tracker, back(`rb/out/t${i}`, '1')), cause(`r${i}`));
  }
  assert.ok(held() <= 1024, `${held()} topics held after 5,000 taken`);
  // Publishes that never come back (a topic the broker does not route) expire and go with the sweep.
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  for (let i = 0; i < 1000; i++) tracker.expect(`$SYS/never/${i}`, Buffer.from('1'), cause('lost'));
  t.mock.timers.tick(11_000);
  for (let i = 0; i < 2000; i++) tracker.expect(`rb/out/n${i}`, Buffer.from('1'), cause('new'));
  assert.ok(held() <= 2048, `${held()} topics held: the expired ones were swept`);
  // Current ones are kept however many there are, and sweeping them is not repeated at every new topic.
  for (let i = 0; i < 20_000; i++) tracker.expect(`rb/out/m${i}`, Buffer.from('1'), cause('many'));
  assert.ok(held() >= 20_000, 'publishes still within their time are all remembered');
  assert.deepEqual(dispatch(tracker, back('rb/out/n1999', '1')), cause('new'), 'what is current is still matched');
});
