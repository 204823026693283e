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

/** The spec read literally, level by level (the matcher before it scanned in place): the oracle for the one below. */
function splitMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

test('the in-place matcher agrees with the level-by-level reading on every pair of a generated set', () => {
  // Levels that exercise the edges: empty levels, `$`, wildcards as whole levels and inside a level (invalid in a
  // filter, but never a crash), prefixes of each other.
  const levels = ['', 'a', 'ab', 'b', '+', '#', '$SYS', 'a+', '+a', '#a', 'x#'];
  const make = (n: number, seed: number): string[] => {
    const out: string[] = [];
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const depth = 1 + (s % 4);
      const parts: string[] = [];
      for (let d = 0; d < depth; d++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        parts.push(levels[s % levels.length]!);
      }
      out.push(parts.join('/'));
    }
    return out;
  };
  const filters = make(400, 7);
  const topics = make(400, 11).filter((t) => !t.includes('+') && !t.includes('#'));
  let matched = 0;
  for (const f of filters) {
    for (const t of topics) {
      const want = splitMatches(f, t);
      assert.equal(topicMatches(f, t), want, `filter ${JSON.stringify(f)} topic ${JSON.stringify(t)}`);
      if (want) matched++;
    }
  }
  assert.ok(matched > 100, `the set has matches to compare (${matched})`);
});

test('invalid filters are explained', () => {
  assert.equal(filterError('ourhome/#'), undefined);
  assert.match(filterError('ourhome/#/x')!, /last/);
  assert.match(filterError('ourhome/ki+/x')!, /whole level/);
  assert.match(filterError('')!, /empty/);
});
