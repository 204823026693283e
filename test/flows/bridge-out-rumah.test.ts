import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, connect, deviceAccount, startHub } from '../helpers/hub.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';

const admin = { username: 'admin', password: adminPassword };

/**
 * A bridge from a new (near) hub to `far` over MQTT 5 with one topic rule, as `account`; `got` is what the far hub's
 * admin sees on `filter`, `local` an admin client on the near hub, `link` the near hub's bridge.
 */
async function bridgedTo(t: { after: (fn: () => unknown) => void }, far: { mqttUrl: string }, filter: string, account: { username: string; password: string }, rule: string) {
  const farClient = await connect(far.mqttUrl, { ...admin, clientId: 'far-watcher' });
  t.after(() => farClient.end(true));
  const got = collect(farClient);
  await subscribe(farClient, filter);
  const near = await startHub({ bridges: [bridge({ url: far.mqttUrl, protocolVersion: 5, ...account, topics: [rule] })] });
  t.after(() => near.stop());
  await until('the bridge to connect', () => linkOf(near.hub).state === 'connected');
  const local = await connect(near.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  return { got, near, local, link: near.hub.bridges!.links[0]! };
}

test('one rumah bridges to a second rumah over WebSocket (MQTT 5, an account\'s password): both ways once, no echo', async (t) => {
  const far = await startHub();
  t.after(() => far.stop());
  const near = await startHub({
    bridges: [bridge({ url: `${far.httpUrl.replace('http:', 'ws:')}/mqtt`, protocolVersion: 5, username: 'admin', password: adminPassword, topics: ['shared/# both 1'] })],
  });
  t.after(() => near.stop());
  await until('the bridge to connect', () => linkOf(near.hub).state === 'connected');

  const farClient = await connect(far.mqttUrl, { ...admin, clientId: 'far-watcher' });
  t.after(() => farClient.end(true));
  const farGot = collect(farClient);
  await subscribe(farClient, 'shared/#');
  const nearClient = await connect(near.mqttUrl, { ...admin, clientId: 'near-watcher' });
  t.after(() => nearClient.end(true));
  const nearGot = collect(nearClient);
  await subscribe(nearClient, 'shared/#');

  await publish(nearClient, 'shared/a', 'from near');
  await publish(farClient, 'shared/b', 'from far');
  await publish(nearClient, 'shared/end', 'near');
  await publish(farClient, 'shared/end', 'far');
  const ends = (got: string[]) => got.filter((m) => m.startsWith('shared/end')).length;
  await until('the sentinels on both sides', () => ends(farGot) >= 2 && ends(nearGot) >= 2);
  await new Promise((r) => setTimeout(r, 500));
  for (const [side, got] of [['far', farGot], ['near', nearGot]] as const) {
    assert.deepEqual([...got].sort(), ['shared/a from near', 'shared/b from far', 'shared/end far', 'shared/end near'], `${side}: each message once`);
  }
  // A wrong password: the bridge stays down and says why (the remote refused the CONNECT).
  const refused = await startHub({ bridges: [bridge({ url: `${far.httpUrl.replace('http:', 'ws:')}/mqtt`, protocolVersion: 5, username: 'admin', password: 'wrong', topics: ['x/# out 0'] })] });
  t.after(() => refused.stop());
  await until('the refused bridge to report', () => linkOf(refused.hub).lastError !== undefined);
  assert.notEqual(linkOf(refused.hub).state, 'connected');
  assert.match(linkOf(refused.hub).lastError!, /bad user name or password|not authorized/i);
});

test('MQTT 5: no more QoS 2 messages in flight than the remote\'s Receive Maximum, so a backlog crosses without the remote cutting the bridge off', async (t) => {
  // rumah advertises mqtt.maxInflightInbound as its Receive Maximum, and disconnects a client that exceeds it (0x93).
  const far = await startHub({ mqtt: { maxInflightInbound: 3 } });
  t.after(() => far.stop());
  const { got, local, link } = await bridgedTo(t, far, 'q/#', admin, 'q/# out 2');
  // 60 at once: more than the remote takes in flight, so the bridge must hold the rest back.
  await Promise.all(Array.from({ length: 60 }, (_, i) => new Promise<void>((resolve, reject) => local.publish(`q/${i}`, `m${i}`, { qos: 2 }, (err) => (err ? reject(err) : resolve())))));
  await until('every message at the remote', () => got.length >= 60, 60_000);
  assert.deepEqual(got, Array.from({ length: 60 }, (_, i) => `q/${i} m${i}`));
  assert.equal(link.counters.connects, 1, 'never cut off and reconnected');
});

test('MQTT 5: a QoS 1 message the remote refuses (PUBACK 0x87) is counted and dropped; the messages after it still cross', async (t) => {
  const far = await startHub();
  t.after(() => far.stop());
  // On the far hub another account's device is ourhome/groundfloor/hall/light: the bridge's account may not publish there.
  const owner = await connect(far.mqttUrl, await deviceAccount(far, 'hall-owner'));
  t.after(() => owner.end(true));
  await publish(owner, 'ourhome/groundfloor/hall/light', 'ON');
  const { got, near, local, link } = await bridgedTo(t, far, 'ourhome/#', await deviceAccount(far, 'near-bridge'), 'ourhome/# out 1');
  await publish(local, 'ourhome/groundfloor/hall/light', 'OFF');
  await publish(local, 'ourhome/groundfloor/porch/light', 'ON');
  await until('the allowed message at the remote', () => got.includes('ourhome/groundfloor/porch/light ON'));
  await until('the refusal counted', () => link.counters.refused === 1);
  assert.equal(link.counters.messagesOut, 1);
  assert.equal(near.hub.bridges!.view()[0]!.queueDepth, 0, 'nothing left waiting for a PUBACK');
  assert.equal(got.includes('ourhome/groundfloor/hall/light OFF'), false);
});

test('MQTT 5: a message larger than the remote\'s Maximum Packet Size is not sent (it would cost the connection, again at every reconnect): counted as refused; the next one crosses', async (t) => {
  const far = await startHub({ mqtt: { maxPacketSize: 2048 } });
  t.after(() => far.stop());
  const { got, near, local, link } = await bridgedTo(t, far, 'big/#', admin, 'big/# out 1');
  await publish(local, 'big/one', 'x'.repeat(4000));
  await publish(local, 'big/two', 'small');
  await until('the small message at the remote', () => got.length >= 1);
  assert.deepEqual(got, ['big/two small']);
  assert.equal(link.counters.refused, 1);
  assert.equal(link.counters.connects, 1, 'never cut off and reconnected');
  assert.equal(near.hub.bridges!.view()[0]!.queueDepth, 0);
});
