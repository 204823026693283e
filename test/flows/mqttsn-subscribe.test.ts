import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { connect, deviceAccount, end, nextMessage, publish, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { runCli } from '../helpers/process.js';
import { decode, encapsulate, encode } from '../../server/mqttsn/codec/index.js';

test('MQTT-SN SUBSCRIBE: a wildcard filter gets each new topic REGISTERed before its PUBLISH; an exact topic gets its id in SUBACK', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'lamp-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  await hub.bindings.bind('lamp', account.username, undefined);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'commander' });
  t.after(() => end(pub));
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('lamp'), 0);

  sn.send({ type: 'subscribe', flags: flags({ qos: 1 }), msgId: 1, topic: { type: 'name', name: 'sn/+/set' } });
  const wild = await sn.next('suback', (p) => p.msgId === 1);
  assert.deepEqual({ topicId: wild.topicId, returnCode: wild.returnCode, qos: wild.flags.qos }, { topicId: 0, returnCode: 0, qos: 1 });

  await publish(pub, 'sn/lamp/set', 'ON', { qos: 1 });
  const reg = await sn.next('register');
  assert.equal(reg.topicName, 'sn/lamp/set');
  sn.send({ type: 'regack', topicId: reg.topicId, msgId: reg.msgId, returnCode: 0 });
  const msg = await sn.next('publish');
  assert.deepEqual({ topic: msg.topic, qos: msg.flags.qos, data: msg.data.toString() }, { topic: { type: 'normal', id: reg.topicId }, qos: 1, data: 'ON' });
  sn.send({ type: 'puback', topicId: reg.topicId, msgId: msg.msgId, returnCode: 0 });
  // The same topic again: no second REGISTER.
  await publish(pub, 'sn/lamp/set', 'OFF', { qos: 0 });
  const again = await sn.next('publish', (p) => p.data.toString() === 'OFF');
  assert.deepEqual(again.topic, { type: 'normal', id: reg.topicId });
  assert.equal(sn.received.filter((p) => p.type === 'register').length, 0);

  sn.send({ type: 'subscribe', flags: flags({ qos: 0 }), msgId: 2, topic: { type: 'name', name: 'sn/exact/topic' } });
  const exact = await sn.next('suback', (p) => p.msgId === 2);
  assert.equal(exact.returnCode, 0);
  assert.ok(exact.topicId > 0 && exact.topicId !== reg.topicId);
  await publish(pub, 'sn/exact/topic', 'hello', { qos: 0 });
  const direct = await sn.next('publish', (p) => p.data.toString() === 'hello');
  assert.deepEqual(direct.topic, { type: 'normal', id: exact.topicId });

  // A QoS 1 message larger than a datagram can carry is not delivered, and does not hold up the next one.
  sn.send({ type: 'subscribe', flags: flags({ qos: 1 }), msgId: 5, topic: { type: 'name', name: 'sn/big' } });
  const big = await sn.next('suback', (p) => p.msgId === 5);
  await publish(pub, 'sn/big', Buffer.alloc(70_000, 0x61), { qos: 1 });
  await publish(pub, 'sn/big', 'after the big one', { qos: 1 });
  const after = await sn.next('publish', (p) => p.data.toString() === 'after the big one');
  sn.send({ type: 'puback', topicId: big.topicId, msgId: after.msgId, returnCode: 0 });
  assert.equal(sn.received.filter((p) => p.type === 'publish').length, 0, 'the big one was not sent');

  // The account's ACL applies: a filter outside sn/# is refused.
  sn.send({ type: 'subscribe', flags: flags({ qos: 0 }), msgId: 3, topic: { type: 'name', name: 'ourhome/#' } });
  assert.equal((await sn.next('suback', (p) => p.msgId === 3)).returnCode, 0x03);

  sn.send({ type: 'unsubscribe', flags: flags(), msgId: 4, topic: { type: 'name', name: 'sn/+/set' } });
  await sn.next('unsuback', (p) => p.msgId === 4);
  // After UNSUBSCRIBE nothing more comes for it; the exact subscription still delivers (order: the later one proves the earlier was not sent).
  await publish(pub, 'sn/lamp/set', 'late', { qos: 0 });
  await publish(pub, 'sn/exact/topic', 'still', { qos: 0 });
  await sn.next('publish', (p) => p.data.toString() === 'still');
  assert.equal(sn.received.some((p) => p.type === 'publish' && p.data.toString() === 'late'), false);
});

test('MQTT-SN QoS −1 (§6.8): a predefined topic id or a short name from an address bound with `mqttsn bind --from`, no connection', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'coin-cell');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#', 'xy']);
  const bind = await runCli(['mqttsn', 'bind', 'coin1', account.username, '--from', '127.0.0.1', '--data', hub.dataDir]);
  assert.equal(bind.code, 0, bind.stderr);
  const topic = await runCli(['mqttsn', 'topic', account.username, '7', 'sn/garden/temperature', '--data', hub.dataDir]);
  assert.equal(topic.code, 0, topic.stderr);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, '#', 0);

  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  // §5.4.12 PUBLISH, Flags 0x61 (QoS −1, predefined), TopicId 0x0007, MsgId 0x0000, "18.5"
  const got = nextMessage(sub, (tp) => tp === 'sn/garden/temperature');
  sn.send([0x0b, 0x0c, 0x61, 0x00, 0x07, 0x00, 0x00, 0x31, 0x38, 0x2e, 0x35]);
  assert.equal((await got).payload, '18.5');
  // Flags 0x62 (QoS −1, short topic name) "xy"
  const short = nextMessage(sub, (tp) => tp === 'xy');
  sn.send([0x08, 0x0c, 0x62, 0x78, 0x79, 0x00, 0x00, 0x31]);
  assert.equal((await short).payload, '1');
  // An unknown predefined id is dropped and counted.
  sn.send([0x08, 0x0c, 0x61, 0x00, 0x08, 0x00, 0x00, 0x31]);
  await waitFor(() => hub.hub.mqttsn!.stats.of('127.0.0.1')?.invalidTopicId === 1, 5000, 'the unknown id counted');

  // From an address no binding names (::1), nothing is published.
  const v6 = await SnClient.open(hub.snPort, '::1').catch(() => undefined);
  if (v6) {
    t.after(() => v6.close());
    v6.send([0x0b, 0x0c, 0x61, 0x00, 0x07, 0x00, 0x00, 0x39, 0x39, 0x2e, 0x39]);
    await waitFor(() => hub.hub.mqttsn!.stats.of('::1')?.refused === 1, 5000, 'the unbound address counted');
  }
});

test('MQTT-SN through a forwarder (§5.5): two wireless nodes behind one UDP address are two clients, answered encapsulated', async (t) => {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, 'radio-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  await hub.bindings.bind('node-a', account.username, undefined);
  await hub.bindings.bind('node-b', account.username, undefined);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(sub));
  await subscribe(sub, 'sn/#', 0);

  const forwarder = dgram.createSocket('udp4');
  t.after(() => forwarder.close());
  await new Promise<void>((r) => forwarder.bind(0, '127.0.0.1', () => r()));
  const replies: Array<{ node: string; type: string; p: unknown }> = [];
  forwarder.on('message', (m) => {
    const d = decode(m);
    if (!d.ok || d.value.type !== 'encapsulated') return;
    const inner = decode(d.value.inner);
    if (inner.ok) replies.push({ node: d.value.nodeId.toString('hex'), type: inner.value.type, p: inner.value });
  });
  const send = (node: number[], p: Parameters<typeof encode>[0]): void => void forwarder.send(encapsulate(Buffer.from(node), encode(p)), hub.snPort, '127.0.0.1');
  for (const [node, id] of [[[0x0a], 'node-a'], [[0x0b], 'node-b']] as const) {
    send([...node], { type: 'connect', flags: flags({ cleanSession: true }), protocolId: 1, duration: 60, clientId: id });
  }
  await waitFor(() => replies.filter((r) => r.type === 'connack').length === 2, 5000, 'two CONNACKs');
  assert.deepEqual(replies.map((r) => r.node).sort(), ['0a', '0b']);
  assert.equal(hub.hub.mqttsn!.clients, 2);
  send([0x0b], { type: 'register', topicId: 0, msgId: 1, topicName: 'sn/b' });
  const regack = await waitFor(() => replies.find((r) => r.type === 'regack' && r.node === '0b'), 5000, 'REGACK to node b');
  const id = (regack.p as { topicId: number }).topicId;
  const got = nextMessage(sub, (tp) => tp === 'sn/b');
  send([0x0b], { type: 'publish', flags: flags({ qos: 0 }), topic: { type: 'normal', id }, msgId: 0, data: Buffer.from('from b') });
  assert.equal((await got).payload, 'from b');
  // Node a never registered that id: its topic ids are its own.
  send([0x0a], { type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId: 5, data: Buffer.from('from a') });
  const refused = await waitFor(() => replies.find((r) => r.type === 'puback' && r.node === '0a'), 5000, 'PUBACK to node a');
  assert.equal((refused.p as { returnCode: number }).returnCode, 0x02);
});
