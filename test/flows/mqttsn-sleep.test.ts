import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, nextMessage, publish, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

/** §6.3 CONNECT with the Will flag: WILLTOPICREQ → WILLTOPIC → WILLMSGREQ → WILLMSG → CONNACK. */
async function connectWithWill(sn: SnClient, clientId: string, duration: number, willTopic: string, willMsg: string): Promise<number> {
  sn.send({ type: 'connect', flags: flags({ will: true, cleanSession: true }), protocolId: 1, duration, clientId });
  await sn.next('willtopicreq');
  sn.send({ type: 'willtopic', flags: flags({ qos: 1 }), topic: willTopic });
  await sn.next('willmsgreq');
  sn.send({ type: 'willmsg', message: Buffer.from(willMsg) });
  return (await sn.next('connack')).returnCode;
}

async function setup(t: import('node:test').TestContext, clientIds: string[]) {
  const hub = await snHub();
  t.after(() => hub.stop());
  const account = await deviceAccount(hub, `sleepy-${Math.random().toString(36).slice(2, 6)}`);
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  for (const id of clientIds) await hub.bindings.bind(id, account.username, undefined);
  const watcher = await connect(hub.mqttUrl, { ...admin, clientId: 'watcher' });
  t.after(() => end(watcher));
  await subscribe(watcher, 'sn/#', 1);
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  return { hub, watcher, sn };
}

test('MQTT-SN sleeping client (§6.14): messages for it are held while it sleeps and delivered when it wakes, then PINGRESP', async (t) => {
  const { hub, watcher, sn } = await setup(t, ['sleeper']);
  assert.equal(await sn.connect('sleeper', { clean: false, duration: 60 }), 0);
  sn.send({ type: 'subscribe', flags: flags({ qos: 1 }), msgId: 1, topic: { type: 'name', name: 'sn/sleep/#' } });
  assert.equal((await sn.next('suback')).returnCode, 0);
  sn.send({ type: 'disconnect', duration: 60 });
  await sn.next('disconnect');
  await waitFor(() => hub.hub.mqttsn!.list().find((c) => c.clientId === 'sleeper')?.state === 'asleep', 5000, 'asleep');

  for (const [i, qos] of [[1, 1], [2, 0], [3, 1], [4, 1]] as const) await publish(watcher, `sn/sleep/${i % 2 ? 'a' : 'b'}`, `m${i}`, { qos });
  await waitFor(() => hub.hub.mqttsn!.list().find((c) => c.clientId === 'sleeper')?.queued === 4, 5000, '4 messages held');
  assert.equal(sn.received.filter((p) => p.type === 'publish' || p.type === 'register').length, 0, 'nothing sent while asleep');

  // Wake: PINGREQ with its client id; it answers each REGISTER and PUBLISH until PINGRESP.
  sn.send({ type: 'pingreq', clientId: 'sleeper' });
  const got: string[] = [];
  const names = new Map<number, string>();
  for (;;) {
    const p = await sn.nextOf(['register', 'publish', 'pingresp']);
    if (p.type === 'pingresp') break;
    if (p.type === 'register') {
      names.set(p.topicId, p.topicName);
      sn.send({ type: 'regack', topicId: p.topicId, msgId: p.msgId, returnCode: 0 });
    } else if (p.type === 'publish') {
      got.push(`${p.topic.type === 'normal' ? names.get(p.topic.id) : '?'} ${p.data.toString()}`);
      if (p.flags.qos === 1) sn.send({ type: 'puback', topicId: p.topic.type === 'normal' ? p.topic.id : 0, msgId: p.msgId, returnCode: 0 });
    }
  }
  assert.deepEqual(got, ['sn/sleep/a m1', 'sn/sleep/b m2', 'sn/sleep/a m3', 'sn/sleep/b m4']);
  await waitFor(() => hub.hub.mqttsn!.list().find((c) => c.clientId === 'sleeper')?.state === 'asleep', 5000, 'asleep again');
});

test('MQTT-SN will: published when the client is lost (keepalive), and after a sleep past its duration; updated by WILLTOPICUPD/WILLMSGUPD', async (t) => {
  const { watcher, sn } = await setup(t, ['lost-one', 'late-sleeper', 'updater']);
  let will = nextMessage(watcher, (tp) => tp === 'sn/will/lost-one', 10_000);
  assert.equal(await connectWithWill(sn, 'lost-one', 1, 'sn/will/lost-one', 'gone'), 0);
  // Silence for 1.5 × Duration: lost.
  assert.equal((await will).payload, 'gone');

  will = nextMessage(watcher, (tp) => tp === 'sn/will/late', 10_000);
  assert.equal(await connectWithWill(sn, 'late-sleeper', 60, 'sn/will/late', 'overslept'), 0);
  sn.send({ type: 'disconnect', duration: 1 });
  await sn.next('disconnect');
  assert.equal((await will).payload, 'overslept');

  assert.equal(await connectWithWill(sn, 'updater', 1, 'sn/will/old', 'old'), 0);
  sn.send({ type: 'willtopicupd', flags: flags({ qos: 0 }), topic: 'sn/will/new' });
  assert.equal((await sn.next('willtopicresp')).returnCode, 0);
  sn.send({ type: 'willmsgupd', message: Buffer.from('new') });
  assert.equal((await sn.next('willmsgresp')).returnCode, 0);
  // Outside the account's ACL: refused, the will stays.
  sn.send({ type: 'willtopicupd', flags: flags({ qos: 0 }), topic: 'ourhome/x' });
  assert.equal((await sn.next('willtopicresp')).returnCode, 0x03);
  const updated = await nextMessage(watcher, (tp) => tp.startsWith('sn/will/'), 10_000);
  assert.deepEqual([updated.topic, updated.payload], ['sn/will/new', 'new']);
});

test('MQTT-SN retransmission (§6.13): an unanswered delivery is sent again with DUP after T_retry, and after N_retry the client is lost', async (t) => {
  const { watcher, sn } = await setup(t, ['deaf']);
  assert.equal(await connectWithWill(sn, 'deaf', 600, 'sn/will/deaf', 'deaf gone'), 0);
  sn.send({ type: 'subscribe', flags: flags({ qos: 1 }), msgId: 1, topic: { type: 'name', name: 'sn/deaf/in' } });
  const suback = await sn.next('suback');
  const will = nextMessage(watcher, (tp) => tp === 'sn/will/deaf', 10_000);
  await publish(watcher, 'sn/deaf/in', 'hello', { qos: 1 });
  const first = await sn.next('publish');
  assert.deepEqual([first.topic, first.flags.dup], [{ type: 'normal', id: suback.topicId }, false]);
  const second = await sn.next('publish');
  assert.deepEqual([second.msgId, second.flags.dup], [first.msgId, true]);
  // retries: 2 in this hub: a third send, then lost, and its will published.
  await sn.next('publish');
  assert.equal((await will).payload, 'deaf gone');
});

test('MQTT-SN sleeping client across a hub restart: its QoS 1 messages are kept by the broker session (broker.db) and delivered when it connects again', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  let hub = await snHub({}, {}, { dataDir });
  const account = await deviceAccount(hub, 'durable-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  await hub.bindings.bind('durable', account.username, undefined);
  let sn = await SnClient.open(hub.snPort);
  assert.equal(await sn.connect('durable', { clean: false, duration: 600 }), 0);
  sn.send({ type: 'subscribe', flags: flags({ qos: 1 }), msgId: 1, topic: { type: 'name', name: 'sn/durable/#' } });
  await sn.next('suback');
  sn.send({ type: 'disconnect', duration: 600 });
  await sn.next('disconnect');
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'pub' });
  for (const m of ['d1', 'd2']) await publish(pub, 'sn/durable/x', m, { qos: 1 });
  await waitFor(() => hub.hub.mqttsn!.list().find((c) => c.clientId === 'durable')?.queued === 2, 5000, '2 messages held');
  await end(pub);
  await sn.close();
  await hub.stop();

  hub = await snHub({}, {}, { dataDir });
  t.after(() => hub.stop());
  sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  // The gateway restarted and does not know the sleeper: its wake is answered DISCONNECT, so it connects again.
  sn.send({ type: 'pingreq', clientId: 'durable' });
  await sn.next('disconnect');
  assert.equal(await sn.connect('durable', { clean: false, duration: 600 }), 0);
  const got: string[] = [];
  while (got.length < 2) {
    const p = await sn.nextOf(['register', 'publish']);
    if (p.type === 'register') sn.send({ type: 'regack', topicId: p.topicId, msgId: p.msgId, returnCode: 0 });
    if (p.type === 'publish') {
      got.push(p.data.toString());
      sn.send({ type: 'puback', topicId: p.topic.type === 'normal' ? p.topic.id : 0, msgId: p.msgId, returnCode: 0 });
    }
  }
  assert.deepEqual(got, ['d1', 'd2']);
});

test('MQTT-SN keepalive: an idle client is kept for 1.5 × its Duration, not dropped when the CONNECT exchange\'s timer ends', async (t) => {
  const { hub, sn } = await setup(t, ['idle']);
  assert.equal(await sn.connect('idle', { duration: 60 }), 0);
  // This hub's CONNECT exchange may last T_retry × (N_retry + 1) = 1.5 s; wait past it without a message.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(hub.hub.mqttsn!.list().find((c) => c.clientId === 'idle')?.state, 'active');
  await sn.send({ type: 'pingreq' });
  await sn.next('pingresp');
});
