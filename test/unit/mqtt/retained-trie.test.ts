import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RetainedTrie } from '../../../server/mqtt/persistence/retained-trie.js';

function trieOf(...topics: string[]): RetainedTrie<string> {
  const trie = new RetainedTrie<string>();
  for (const topic of topics) trie.set(topic, topic);
  return trie;
}

const sorted = (values: string[]): string[] => [...values].sort();

test('wildcards match as MQTT 3.1.1 section 4.7 says', () => {
  const trie = trieOf('sport', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking', 'finance', '/finance', 'a//b');
  assert.deepEqual(sorted(trie.match('sport/#')), ['sport', 'sport/tennis', 'sport/tennis/player1', 'sport/tennis/player1/ranking']); // [MQTT-4.7.1-2]
  assert.deepEqual(trie.match('sport/tennis/+'), ['sport/tennis/player1']); // [MQTT-4.7.1-3]
  assert.deepEqual(trie.match('sport/+'), ['sport/tennis']);
  assert.deepEqual(trie.match('+'), ['sport', 'finance']);
  assert.deepEqual(trie.match('+/+'), ['sport/tennis', '/finance']);
  assert.deepEqual(trie.match('/+'), ['/finance']);
  assert.deepEqual(trie.match('a/+/b'), ['a//b'], '+ matches an empty level');
  assert.deepEqual(trie.match('sport/tennis/player1'), ['sport/tennis/player1']);
  assert.deepEqual(trie.match('sport/tennis/player2'), []);
  assert.equal(trie.match('#').length, 7);
});

test('a filter starting with a wildcard does not match $ topics [MQTT-4.7.2-1]', () => {
  const trie = trieOf('$SYS/broker/clients', 'home/lamp');
  assert.deepEqual(trie.match('#'), ['home/lamp']);
  assert.deepEqual(trie.match('+/broker/clients'), []);
  assert.deepEqual(trie.match('$SYS/#'), ['$SYS/broker/clients']);
  assert.deepEqual(trie.match('$SYS/+/clients'), ['$SYS/broker/clients']);
});

test('set replaces, delete prunes and reports, size follows', () => {
  const trie = trieOf('a/b/c', 'a/b');
  assert.equal(trie.set('a/b', 'new'), 'a/b');
  assert.equal(trie.get('a/b'), 'new');
  assert.equal(trie.size, 2);
  assert.equal(trie.delete('a/b/c'), 'a/b/c');
  assert.equal(trie.delete('a/b/c'), undefined);
  assert.equal(trie.delete('a'), undefined, 'an inner node without a value is not a topic');
  assert.deepEqual(trie.match('#'), ['new']);
  assert.equal(trie.delete('a/b'), 'new');
  assert.equal(trie.size, 0);
  assert.deepEqual(trie.match('#'), []);
});
