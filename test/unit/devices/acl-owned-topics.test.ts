import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OwnedTopics } from '../../../devices/pairing/owned-topics.js';
import { DeviceAcl } from '../../../devices/pairing/acl.js';
import { Candidates } from '../../../devices/pairing/candidates.js';
import type { MqttIdentity } from '../../../server/mqtt/identity.js';

test('owned topics: a topic matches owned topics and `…/#` filters, by level', () => {
  const owned = new OwnedTopics();
  owned.set('plug', 'a', ['cmnd/plug/#', 'stat/plug/#', 'tasmota/discovery/AABBCCDDEEFF/#']);
  owned.set('lamp', 'b', ['ourhome/gf/hall/lamp/#', 'homeassistant/light/lamp/config']);
  assert.equal(owned.otherOwner('cmnd/plug/Backlog', 'b'), 'a');
  assert.equal(owned.otherOwner('cmnd/plug', 'b'), 'a', '`cmnd/plug/#` matches its parent level [MQTT-4.7.1-2]');
  assert.equal(owned.otherOwner('cmnd/plug/Backlog', 'a'), undefined, 'its own');
  assert.equal(owned.otherOwner('cmnd/plug2/POWER', 'b'), undefined);
  assert.equal(owned.otherOwner('homeassistant/light/lamp/config', 'a'), 'b');
  assert.equal(owned.otherOwner('homeassistant/light/lamp/config/x', 'a'), undefined, 'an exact topic owns nothing below it');
  assert.equal(owned.owner('ourhome/gf/hall/lamp/set'), 'b');
});

test('owned topics: a subscription filter intersecting another account\'s topics, through + and #', () => {
  const owned = new OwnedTopics();
  owned.set('fan', 'kitchen', ['ourhome/ff/kitchen/fan/#']);
  owned.set('cfg', 'kitchen', ['homeassistant/fan/k/config']);
  owned.set('study', 'snoop', ['ourhome/gf/study/lamp/#']);
  for (const f of ['#', 'ourhome/#', 'ourhome/+/+/+/set', 'ourhome/ff/kitchen/+/set', '+/ff/#', 'ourhome/ff/kitchen/fan', 'homeassistant/+/+/config', 'homeassistant/#']) {
    assert.equal(owned.otherOwnerWithin(f, 'snoop'), 'kitchen', f);
  }
  for (const f of ['ourhome/gf/+/+/set', 'ourhome/ff/hall/+/set', 'homeassistant/+/+', 'homeassistant/light/+/config', 'ourhome/+/+']) {
    assert.equal(owned.otherOwnerWithin(f, 'snoop'), undefined, f);
  }
  assert.equal(owned.covered('ourhome/gf/study/lamp/+', 'snoop'), true);
  assert.equal(owned.covered('ourhome/gf/study/+/set', 'snoop'), false);
});

test('owned topics: replaced and deleted filters leave nothing behind; `+` and `#` alone are never owned', () => {
  const owned = new OwnedTopics();
  owned.set('d', 'a', ['x/y/#', '#', 'x/+/z']);
  assert.deepEqual(owned.filtersOf('d'), ['x/y/#']);
  owned.set('d', 'a', ['x/w/#']);
  assert.equal(owned.owner('x/y/1'), undefined);
  assert.equal(owned.owner('x/w/1'), 'a');
  owned.set('e', 'b', ['x/w/#']);
  owned.delete('d');
  assert.equal(owned.owner('x/w/1'), 'b', 'another device still holds it');
  owned.delete('e');
  assert.equal(owned.otherOwnerWithin('#', 'z'), undefined);
  assert.equal(owned.devices, 0);
});

test('ACL: publish, subscribe and delivery by ownership; candidates get exact unowned command topics', () => {
  const acl = new DeviceAcl(new Candidates());
  acl.owned.set('fan', 'kitchen', ['ourhome/ff/kitchen/fan/#']);
  const device = (username: string): MqttIdentity => ({ username, kind: 'device' });
  const candidate: MqttIdentity = { username: 'new', kind: 'candidate' };
  assert.match(acl.publish(device('snoop'), 'ourhome/ff/kitchen/fan/set') ?? '', /account kitchen/);
  assert.equal(acl.publish(device('kitchen'), 'ourhome/ff/kitchen/fan/set'), undefined);
  assert.match(acl.subscribe(device('snoop'), 'ourhome/ff/kitchen/+/set') ?? '', /account kitchen/);
  assert.equal(acl.subscribe(device('snoop'), 'ourhome/ff/hall/+/set'), undefined);
  assert.equal(acl.forward(device('snoop'), 'ourhome/ff/kitchen/fan/set'), false);
  assert.equal(acl.forward(device('kitchen'), 'ourhome/ff/kitchen/fan/set'), true);
  assert.equal(acl.forward({ username: 'admin', kind: 'admin' }, 'ourhome/ff/kitchen/fan/set'), true);
  for (const f of ['+/+/+/+/set', 'cmnd/#', '+/rpc', 'ourhome/ff/kitchen/fan/set', 'ourhome/ff/hall/x']) assert.ok(acl.subscribe(candidate, f), f);
  assert.equal(acl.subscribe(candidate, 'cmnd/new_plug/POWER'), undefined);
  assert.equal(acl.forward(candidate, 'ourhome/ff/kitchen/fan/set'), false);
  assert.deepEqual([acl.denied.get('snoop')?.publish, acl.denied.get('snoop')?.subscribe], [1, 1]);
});
