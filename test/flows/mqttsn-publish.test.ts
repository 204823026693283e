import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { loginAsAdmin } from '../helpers/http.js';

test('MQTT-SN publish at QoS 0, 1 and 2: an MQTT subscriber gets each once, and a native home topic becomes a device', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'kitchen-sn');
  await hub.bindings.bind('kitchen-sensor', account.username, undefined);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#', 2);
  const seen: string[] = [];
  sub.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));

  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('kitchen-sensor'), 0, 'CONNACK accepted');
  const topic = 'ourhome/firstfloor/kitchen/temperature';
  const id = await sn.register(topic);
  assert.ok(id > 0);

  sn.send({ type: 'publish', flags: flags({ qos: 0 }), topic: { type: 'normal', id }, msgId: 0, data: Buffer.from('21.5') });
  await waitFor(() => seen.includes(`${topic} 21.5`), 5000, 'the QoS 0 message');
  const device = await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-kitchen-temperature'), 5000, 'the device');
  assert.equal(device.convention, 'native');
  assert.equal(hub.hub.states.value(device.id, 'temperature'), 21.5);

  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 11, data: Buffer.from('22') });
  const puback = await sn.next('puback', (p) => p.msgId === 11);
  assert.deepEqual({ topicId: puback.topicId, returnCode: puback.returnCode }, { topicId: id, returnCode: 0 });
  await waitFor(() => seen.includes(`${topic} 22`), 5000, 'the QoS 1 message');

  sn.send({ type: 'publish', flags: flags({ qos: 2 }), topic: { type: 'normal', id }, msgId: 12, data: Buffer.from('23') });
  await sn.next('pubrec', (p) => p.msgId === 12);
  // A retransmission after PUBREC is answered PUBREC again, not routed twice (§6.7 exactly once).
  sn.send({ type: 'publish', flags: flags({ qos: 2, dup: true }), topic: { type: 'normal', id }, msgId: 12, data: Buffer.from('23') });
  await sn.next('pubrec', (p) => p.msgId === 12);
  sn.send({ type: 'pubrel', msgId: 12 });
  await sn.next('pubcomp', (p) => p.msgId === 12);
  await waitFor(() => seen.includes(`${topic} 23`), 5000, 'the QoS 2 message');
  // A message published after the QoS 2 one arrives after it: then the QoS 2 one was routed once.
  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 13, data: Buffer.from('24') });
  await sn.next('puback', (p) => p.msgId === 13);
  await waitFor(() => seen.includes(`${topic} 24`), 5000, 'the last message');
  assert.deepEqual(seen.filter((s) => s.startsWith(topic)), [`${topic} 21.5`, `${topic} 22`, `${topic} 23`, `${topic} 24`]);

  // §6.6: a topic id never registered is answered "rejected: invalid topic ID".
  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id: 0x999 }, msgId: 14, data: Buffer.from('x') });
  const bad = await sn.next('puback', (p) => p.msgId === 14);
  assert.equal(bad.returnCode, 0x02);
  assert.equal(hub.hub.mqttsn!.stats.of('127.0.0.1')!.invalidTopicId, 1);

  // The client shows on the broker page, as a client of its account, with its protocol.
  assert.ok(hub.hub.mqttsn!.list().some((c) => c.clientId === 'kitchen-sensor' && c.state === 'active'));
  const page = await (await loginAsAdmin(hub.httpUrl)).get('/api/broker');
  const row = (page.body.clients as Array<{ clientId: string; username?: string; protocol?: string }>).find((c) => c.clientId === 'kitchen-sensor');
  assert.deepEqual([row?.username, row?.protocol], ['kitchen-sn', 'MQTT-SN']);
  assert.equal((page.body.clients as Array<{ clientId: string; protocol?: string }>).find((c) => c.clientId === 'watcher')?.protocol, undefined);
  sn.send({ type: 'disconnect' });
  await sn.next('disconnect');
  await waitFor(() => hub.hub.mqttsn!.clients === 0, 5000, 'the session to end');
});

test('MQTT-SN CONNECT of a client id bound to no account is refused (0x03); a binding restricted to another address too', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'restricted-sn');
  await hub.bindings.bind('elsewhere', account.username, ['192.0.2.7']);
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('stranger'), 0x03);
  assert.equal(await sn.connect('elsewhere'), 0x03);
  assert.equal(hub.hub.mqttsn!.stats.of('127.0.0.1')!.refused, 2);
  // No session, so a PUBLISH is answered DISCONNECT (connect first) and nothing is routed.
  sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id: 1 }, msgId: 1, data: Buffer.from('x') });
  await sn.next('disconnect');
  assert.equal(hub.hub.mqttsn!.clients, 0);
  // A revoked account is refused by the broker itself.
  await hub.bindings.bind('revoked-one', account.username, undefined);
  await hub.hub.store.accounts.revoke(account.username);
  assert.equal(await sn.connect('revoked-one'), 0x03);
});

test('MQTT-SN clients are under the broker\'s own rules: a persistent session past mqtt.maxSessionsPerAccount is refused (0x03)', async (t) => {
  const hub = await snHub({}, { maxSessionsPerAccount: 1 });
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'two-sleepers');
  await hub.bindings.bind('first', account.username, undefined);
  await hub.bindings.bind('second', account.username, undefined);
  const a = await SnClient.open(hub.snPort);
  t.after(() => a.close());
  const b = await SnClient.open(hub.snPort);
  t.after(() => b.close());
  assert.equal(await a.connect('first', { clean: false }), 0);
  assert.equal(await b.connect('second', { clean: false }), 0x03);
  assert.equal(await b.connect('second', { clean: true }), 0, 'a clean session holds nothing: accepted');
});
