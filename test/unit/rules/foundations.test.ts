import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../rules/duration.js';
import { isOffValue, isOnValue, onOffOf } from '../../../rules/on-off.js';
import { parseStateFilter } from '../../../rules/state-filter.js';
import { checkPublishTopic, checkTopicFilter, matchTopicPattern, parseTopicPattern, topicMatches } from '../../../rules/topics.js';

test('isOnValue: true, 1, on/ON/On, true/TRUE are on; their opposites are off; anything else is neither', () => {
  for (const v of [true, 1, 'on', 'ON', 'On', ' on ', 'true', 'TRUE']) assert.equal(isOnValue(v), true, JSON.stringify(v));
  for (const v of [false, 0, 'off', 'OFF', 'false']) assert.equal(isOffValue(v), true, JSON.stringify(v));
  for (const v of [null, undefined, 2, 128, '', 'open', 'unknown', [], {}]) assert.equal(onOffOf(v), undefined, JSON.stringify(v));
});

test('durations: units, clock form (HH:MM[:SS], as HA), seconds; signs only where allowed', () => {
  const ms = (input: string | number, signed = false) => {
    const r = parseDuration(input, signed);
    assert.ok(r.ok, `${JSON.stringify(input)}: ${r.ok ? '' : r.message}`);
    return r.ms;
  };
  assert.equal(ms('30s'), 30_000);
  assert.equal(ms('5m'), 300_000);
  assert.equal(ms('1h30m'), 5_400_000);
  assert.equal(ms('1h 30m'), 5_400_000);
  assert.equal(ms('1.5h'), 5_400_000);
  assert.equal(ms('2d'), 172_800_000);
  assert.equal(ms('500ms'), 500);
  assert.equal(ms('1m30s250ms'), 90_250);
  assert.equal(ms('00:05:00'), 300_000);
  assert.equal(ms('05:00'), 18_000_000, 'HH:MM: five hours, as Home Assistant reads it');
  assert.equal(ms('0:00:01.5'), 1500);
  assert.equal(ms(90), 90_000);
  assert.equal(ms(0.25), 250);
  assert.equal(ms('45'), 45_000);
  assert.equal(ms('-30m', true), -1_800_000);
  assert.equal(ms('-00:30:00', true), -1_800_000);
  assert.equal(ms('+1h', true), 3_600_000);
  const bad = (input: string | number, message: string, signed = false) => assert.deepEqual(parseDuration(input, signed), { ok: false, message });
  const help = 'use a number of seconds, 30s, 5m, 1h30m or 00:05:00';
  bad('5 minutes', `invalid duration "5 minutes": ${help}`);
  bad('30m1h', `invalid duration "30m1h": ${help}`);
  bad('5m5m', `invalid duration "5m5m": ${help}`);
  bad('', `invalid duration "": ${help}`);
  bad('1:60', `invalid duration "1:60": ${help}`);
  bad(Infinity, `invalid duration null: ${help}`);
  bad('-5m', 'invalid duration "-5m": a duration cannot be negative here');
  bad(-1, 'invalid duration -1: a duration cannot be negative here');
  bad('400d', 'invalid duration "400d": at most 366 days');
});

test('formatDuration writes the shortest unit form and reads back to the same value', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(1500), '1s500ms');
  assert.equal(formatDuration(-1_800_000), '-30m');
  assert.equal(formatDuration(0), '0s');
  for (const n of [1, 999, 61_000, 86_400_000 + 1, 3_723_004]) assert.deepEqual(parseDuration(formatDuration(n)), { ok: true, ms: n });
});

test('topic filters follow MQTT 3.1.1 4.7: # last and whole, + whole, not empty', () => {
  assert.equal(checkTopicFilter('ourhome/+/+/light'), undefined);
  assert.equal(checkTopicFilter('#'), undefined);
  assert.equal(checkTopicFilter('ourhome//x'), undefined, 'empty levels are valid');
  assert.deepEqual(checkTopicFilter('ourhome/#/light'), { message: "'#' must be the last level", offset: 8 });
  assert.deepEqual(checkTopicFilter('ourhome/kitchen#'), { message: "'#' must fill a whole level", offset: 15 });
  assert.deepEqual(checkTopicFilter('ourhome/kit+chen'), { message: "'+' must fill a whole level", offset: 11 });
  assert.deepEqual(checkTopicFilter(''), { message: 'a topic filter must not be empty', offset: 0 });
  assert.deepEqual(checkPublishTopic('ourhome/+/x'), { message: "a topic to publish to cannot contain the wildcard '+'", offset: 8 });
});

test('topic matching: + one level, # the rest and the parent, $ topics not matched by leading wildcards', () => {
  assert.equal(topicMatches('ourhome/+/+/light', 'ourhome/firstfloor/kitchen/light'), true);
  assert.equal(topicMatches('ourhome/+/+/light', 'ourhome/firstfloor/kitchen/light/set'), false);
  assert.equal(topicMatches('ourhome/#', 'ourhome'), true);
  assert.equal(topicMatches('ourhome/#', 'ourhome/a/b/c'), true);
  assert.equal(topicMatches('#', '$SYS/broker/uptime'), false);
  assert.equal(topicMatches('+/broker/uptime', '$SYS/broker/uptime'), false);
  assert.equal(topicMatches('$SYS/#', '$SYS/broker/uptime'), true);
});

test('named levels: {floor} matches like + and binds the level', () => {
  const parsed = parseTopicPattern('ourhome/{floor}/{room}/light');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.pattern.variables, ['floor', 'room']);
  assert.equal(parsed.pattern.filter, 'ourhome/+/+/light');
  assert.deepEqual({ ...matchTopicPattern(parsed.pattern, 'ourhome/firstfloor/kitchen/light') }, { floor: 'firstfloor', room: 'kitchen' });
  assert.equal(matchTopicPattern(parsed.pattern, 'ourhome/firstfloor/kitchen/fan'), undefined);
  const bad = (pattern: string, message: string, offset: number) => assert.deepEqual(parseTopicPattern(pattern), { ok: false, message, offset });
  bad('ourhome/x{floor}/light', 'a named level {name} must fill a whole level', 9);
  bad('ourhome/{fl-oor}', "'fl-oor' is not a valid variable name (letters, digits and _)", 9);
  bad('a/{x}/{x}', "the variable 'x' is named twice", 7);
  bad('a/{payload}', "'payload' would hide the trigger variable of the same name", 3);
  bad('a/{floor}/#/b', "'#' must be the last level", 10);
});

test('state filters: a topic filter or area:FLOOR[/ROOM]', () => {
  assert.deepEqual(parseStateFilter('ourhome/+/+/light'), { ok: true, filter: { kind: 'topic', filter: 'ourhome/+/+/light' } });
  assert.deepEqual(parseStateFilter('area:firstfloor/kitchen'), { ok: true, filter: { kind: 'area', floor: 'firstfloor', room: 'kitchen' } });
  assert.deepEqual(parseStateFilter('area:firstfloor'), { ok: true, filter: { kind: 'area', floor: 'firstfloor' } });
  assert.deepEqual(parseStateFilter('area:a/b/c'), { ok: false, message: 'invalid area "area:a/b/c": write area:FLOOR or area:FLOOR/ROOM', offset: 5 });
  assert.deepEqual(parseStateFilter('a/#/b'), { ok: false, message: `invalid topic filter "a/#/b": '#' must be the last level`, offset: 2 });
});
