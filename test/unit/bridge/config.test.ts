import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgesSchema } from '../../../server/bridge/config.js';
import { TopicRules } from '../../../server/bridge/topic-rules.js';

const base = { name: 'cloud', url: 'mqtts://broker.example:8883' };

test('a rule line as in mosquitto.conf, or an object; defaults filled in', () => {
  const [b] = bridgesSchema.parse([{ ...base, topics: ['sensors/# both 1 home/ site1/', 'x/+', { pattern: 'cmd/#', direction: 'in' }] }]);
  assert.deepEqual(b!.topics, [
    { pattern: 'sensors/#', direction: 'both', qos: 1, local: 'home/', remote: 'site1/' },
    { pattern: 'x/+', direction: 'out', qos: 0, local: '', remote: '' },
    { pattern: 'cmd/#', direction: 'in', qos: 0, local: '', remote: '' },
  ]);
  assert.equal(b!.protocolVersion, 4);
  assert.equal(b!.rejectUnauthorized, true);
  assert.equal(b!.maxQueuedMessages, 10_000);
  assert.equal(b!.maxQueuedBytes, 64 * 1024 * 1024);
});

test('bad bridges are refused with every error and its path', () => {
  const result = bridgesSchema.safeParse([
    { ...base, url: 'http://x', topics: ['a/# sideways'] },
    { ...base, topics: ['a/#/b out 1', 'x out 3', 'x in 0 $SYS/ ""', 'x out 0 a/+/ ""'] },
    { ...base, name: 'other', topics: ['x'], cert: 'c.pem' },
  ]);
  assert.equal(result.success, false);
  const messages = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const expect = [/^0\.url: /, /^0\.topics\.0: direction "sideways"/, /^1\.topics\.0: .*"#" must be/, /^1\.topics\.1: qos "3"/, /^1\.topics\.2: local topic "\$SYS\/x"/, /^1\.topics\.3: local prefix "a\/\+\/"/, /^2\.cert: give both/];
  for (const re of expect) assert.ok(messages.some((m) => re.test(m)), `${re} in ${messages.join(' | ')}`);
  assert.equal(bridgesSchema.safeParse([{ ...base, topics: ['a'] }, { ...base, topics: ['b'] }]).success, false, 'names are unique');
});

test('topics map with the prefixes both ways; QoS is the lower of the message\'s and the rule\'s', () => {
  const rules = new TopicRules(bridgesSchema.parse([{ ...base, topics: ['sensors/# both 1 home/ site1/', 'cmd/+ in 2 local/ ""'] }])[0]!.topics);
  assert.deepEqual(rules.toRemote('home/sensors/t', 2), { topic: 'site1/sensors/t', qos: 1 });
  assert.deepEqual(rules.toRemote('home/sensors/t', 0), { topic: 'site1/sensors/t', qos: 0 });
  assert.equal(rules.toRemote('sensors/t', 1), undefined);
  assert.equal(rules.toRemote('local/cmd/x', 1), undefined, 'an `in` rule sends nothing out');
  assert.deepEqual(rules.toLocal('site1/sensors/t', 1), { topic: 'home/sensors/t', qos: 1 });
  assert.deepEqual(rules.toLocal('cmd/lamp', 2), { topic: 'local/cmd/lamp', qos: 2 });
  assert.deepEqual(rules.subscriptions, [{ filter: 'site1/sensors/#', qos: 1 }, { filter: 'cmd/+', qos: 2 }]);
});
