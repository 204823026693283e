import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterError, topicMatches } from '../../../server/mqtt/topics.js';

test('topic filters match as MQTT 3.1.1 section 4.7 says', () => {
  assert.ok(topicMatches('ourhome/+/+/light', 'ourhome/groundfloor/hall/light'));
  assert.ok(!topicMatches('ourhome/+/+/light', 'ourhome/groundfloor/hall/light/set'));
  assert.ok(topicMatches('ourhome/#', 'ourhome'), '# matches the parent level too');
  assert.ok(topicMatches('ourhome/#', 'ourhome/a/b/c'));
  assert.ok(!topicMatches('#', '$SYS/broker/uptime'), '[MQTT-4.7.2-1]');
  assert.ok(topicMatches('a//b', 'a//b'));
  assert.ok(!topicMatches('a/+', 'a'));
});

test('invalid filters are explained', () => {
  assert.equal(filterError('ourhome/#'), undefined);
  assert.match(filterError('ourhome/#/x')!, /last/);
  assert.match(filterError('ourhome/ki+/x')!, /whole level/);
  assert.match(filterError('')!, /empty/);
});
