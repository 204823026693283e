// Broker storage has quotas per account (issue 15, item 7): retained messages (count and bytes) per account — over it
// a retained publish is refused (MQTT 5: PUBACK 0x97 Quota exceeded; 3.1.1: acknowledged and dropped) and not
// stored, while other accounts still store; queued messages per session — past the bound the oldest is dropped,
// counted; persistent sessions per account — one more is refused at CONNECT. The counts are rebuilt from broker.db.
import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { adminPassword, connect, connectKeeping, deviceAccount, end, publish, startHub, subscribe, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';
import { RawClient } from '../helpers/mqtt5.js';
import { retainedBytes } from '../../server/mqtt/persistence/retained-store.js';

type Overrides = Parameters<typeof startHub>[0];

/** The reason code of a QoS 1 publish's PUBACK: 0 when accepted (MQTT.js fails the callback on >= 0x80). */
function pubackCode(client: MqttClient, topic: string, payload: string | Buffer, retain = true): Promise<number> {
  return new Promise((resolve, reject) =>
    client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (!err) return resolve(0);
      const code = (err as { code?: number }).code;
      return code === undefined ? reject(err) : resolve(code);
    }),
  );
}

/** Retained topics under `filter`, read back from the broker's store (what a new subscriber would get). */
async function retainedTopics(hub: TestHub, filter: string): Promise<string[]> {
  const stream = hub.hub.persistence!.createRetainedStreamCombi([filter]);
  return ((await stream.toArray()) as Array<{ topic: string }>).map((p) => p.topic).sort();
}


async function hubOn(dataDir: string, overrides: Overrides): Promise<TestHub> {
  return startHub(overrides, { dataDir });
}

test('retained quota: over it MQTT 5 gets 0x97 and nothing is stored; 3.1.1 is acknowledged and dropped; another account still stores; kept across a restart', async (t) => {
  const dataDir = tempDir();
  const overrides = { mqtt: { maxRetainedPerAccount: 3, maxRetainedBytesPerAccount: 4096 } } as Overrides;
  let hub = await hubOn(dataDir, overrides);
  t.after(async () => {
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const a = await deviceAccount(hub, 'sensor-a');
  const b = await deviceAccount(hub, 'sensor-b');
  const a5 = await connect(hub.mqttUrl, { ...a, clientId: 'a-v5', protocolVersion: 5 });
  for (const n of [1, 2, 3]) assert.equal(await pubackCode(a5, `ourhome/a/room/t${n}`, `${n}`), 0, `retained ${n} of 3`);
  assert.equal(await pubackCode(a5, 'ourhome/a/room/t4', '4'), 0x97, 'the 4th: Quota exceeded');
  assert.equal(await pubackCode(a5, 'ourhome/a/room/t2', 'two, replaced'), 0, 'replacing its own retained message takes no new slot');
  assert.deepEqual(await retainedTopics(hub, 'ourhome/a/#'), ['ourhome/a/room/t1', 'ourhome/a/room/t2', 'ourhome/a/room/t3']);

  // MQTT 3.1.1 has no negative PUBACK: acknowledged, dropped, not stored.
  const a3 = await connect(hub.mqttUrl, { ...a, clientId: 'a-v311' });
  await publish(a3, 'ourhome/a/room/t5', '5', { qos: 1, retain: true });
  assert.deepEqual(await retainedTopics(hub, 'ourhome/a/#'), ['ourhome/a/room/t1', 'ourhome/a/room/t2', 'ourhome/a/room/t3']);

  // Bytes: the other account stores within its own quota, and is held to its own byte bound.
  const b5 = await connect(hub.mqttUrl, { ...b, clientId: 'b-v5', protocolVersion: 5 });
  assert.equal(await pubackCode(b5, 'ourhome/b/room/t1', 'x'.repeat(3000)), 0, 'another account still stores');
  assert.equal(await pubackCode(b5, 'ourhome/b/room/t2', 'y'.repeat(2000)), 0x97, 'over 4096 bytes');
  assert.deepEqual(await retainedTopics(hub, 'ourhome/b/#'), ['ourhome/b/room/t1']);
  assert.equal(hub.hub.broker.counters.retainedQuotaRefused, 3);
  assert.match(await readMetrics(hub), /^rumah_mqtt_retained_quota_refused_total 3$/m);
  // Per account, where an admin looks: GET /api/accounts.
  const api = await loginAsAdmin(hub.httpUrl);
  const listed = (await api.get('/api/accounts')).body.accounts as Array<{ username: string; storage?: { retained: Record<string, number | null>; retainedRefused: number } }>;
  const storageOf = (name: string) => listed.find((x) => x.username === name)?.storage;
  const held = retainedBytes('ourhome/a/room/t1', '1') + retainedBytes('ourhome/a/room/t2', 'two, replaced') + retainedBytes('ourhome/a/room/t3', '3');
  assert.deepEqual(storageOf('sensor-a')?.retained, { messages: 3, bytes: held, maxMessages: 3, maxBytes: 4096 });
  assert.equal(storageOf('sensor-a')?.retainedRefused, 2, 'the 4th (MQTT 5) and the 3.1.1 one');
  assert.equal(storageOf('sensor-b')?.retained.messages, 1);
  assert.equal(storageOf('sensor-b')?.retained.bytes, retainedBytes('ourhome/b/room/t1', 'x'.repeat(3000)), 'its 3,000-byte message counted');
  assert.equal(storageOf('sensor-b')?.retainedRefused, 1);

  // A delete frees a slot.
  assert.equal(await pubackCode(a5, 'ourhome/a/room/t1', ''), 0);
  assert.equal(await pubackCode(a5, 'ourhome/a/room/t4', '4'), 0);
  await Promise.all([end(a5), end(a3), end(b5)]);

  // After a restart the counts come from broker.db: still full.
  await hub.stop();
  hub = await hubOn(dataDir, overrides);
  const again = await connect(hub.mqttUrl, { ...a, clientId: 'a-v5', protocolVersion: 5 });
  t.after(() => end(again));
  assert.equal(await pubackCode(again, 'ourhome/a/room/t6', '6'), 0x97);
  assert.equal(await pubackCode(again, 'ourhome/a/room/t3', 'three, replaced'), 0);
  const b2 = await connect(hub.mqttUrl, { ...b, clientId: 'b-v5', protocolVersion: 5 });
  t.after(() => end(b2));
  assert.equal(await pubackCode(b2, 'ourhome/b/room/t2', 'y'.repeat(2000)), 0x97, 'bytes rebuilt too');
  assert.equal(await pubackCode(b2, 'ourhome/b/room/t3', 'small'), 0);
  // Admins have no retained quota.
  const admin = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool', protocolVersion: 5 });
  t.after(() => end(admin));
  for (const n of [1, 2, 3, 4, 5]) assert.equal(await pubackCode(admin, `ourhome/admin/t${n}`, 'z'.repeat(1000)), 0);
});

test('a session queue past mqtt.maxQueuedPerSession drops the oldest, counted per account, also after a restart', async (t) => {
  const dataDir = tempDir();
  const overrides = { mqtt: { maxQueuedPerSession: 3 } } as Overrides;
  let hub = await hubOn(dataDir, overrides);
  t.after(async () => {
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const a = await deviceAccount(hub, 'lamp');
  const command = 'ourhome/ground/kitchen/lamp/set';
  const device = await connect(hub.mqttUrl, { ...a, clientId: 'lamp-1', clean: false });
  await subscribe(device, command, 1);
  await end(device);
  const admin = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool' });
  for (const n of [1, 2, 3, 4, 5]) await publish(admin, command, `cmd-${n}`, { qos: 1 });
  await end(admin);
  assert.equal(hub.hub.broker.counters.queuedDropped, 2);
  assert.equal(hub.hub.broker.storage.quotas.byAccount().get(a.username)?.queuedDropped, 2, 'counted against the session\'s account');
  assert.match(await readMetrics(hub), /^rumah_mqtt_queued_dropped_total 2$/m);
  const lamp = ((await (await loginAsAdmin(hub.httpUrl)).get('/api/accounts')).body.accounts as Array<{ username: string; storage?: { queuedDropped: number; queuedDroppedBytes: number; queueBound: { messages: number } } }>)
    .find((x) => x.username === a.username)?.storage;
  assert.equal(lamp?.queuedDropped, 2, 'GET /api/accounts shows it per account');
  assert.ok(Number(lamp?.queuedDroppedBytes) > 0);
  assert.equal(lamp?.queueBound.messages, 3);

  // Full at the restart; the bound still holds after it.
  await hub.stop();
  hub = await hubOn(dataDir, overrides);
  const admin2 = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'admin-tool' });
  t.after(() => end(admin2));
  await publish(admin2, command, 'cmd-6', { qos: 1 });
  assert.equal(hub.hub.broker.counters.queuedDropped, 1);
  const back = await connectKeeping(hub.mqttUrl, { ...a, clientId: 'lamp-1', clean: false });
  t.after(() => end(back.client));
  await waitFor(() => back.got.length >= 3, 5000, 'the queue');
  assert.deepEqual(back.got, ['cmd-4', 'cmd-5', 'cmd-6'], 'the newest three, in order');
});

test('persistent sessions per account: one more than mqtt.maxSessionsPerAccount is refused at CONNECT', async (t) => {
  const hub = await startHub({ mqtt: { maxSessionsPerAccount: 2 } } as Overrides);
  t.after(() => hub.stop());
  const a = await deviceAccount(hub, 'cycler');
  for (const id of ['s1', 's2']) {
    const c = await connect(hub.mqttUrl, { ...a, clientId: id, clean: false });
    await subscribe(c, `ourhome/ground/hall/${id}/set`, 1);
    await end(c);
  }
  const code = async (opts: IClientOptions): Promise<number | undefined> => {
    try {
      await end(await connect(hub.mqttUrl, { ...a, ...opts }));
      return 0;
    } catch (err) {
      return (err as { code?: number }).code;
    }
  };
  assert.equal(await code({ clientId: 's3', clean: false }), 2, '3.1.1: CONNACK 2');
  assert.equal(await code({ clientId: 's3', protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 60 } }), 0x85, 'MQTT 5: 0x85');
  assert.equal(await code({ clientId: 's3', clean: true }), 0, 'a clean session is no stored session');
  assert.equal(await code({ clientId: 's1', clean: false }), 0, 'its own sessions resume');
  assert.equal(hub.hub.broker.counters.sessionQuotaRefused, 2);
  // A session ended frees its slot.
  assert.equal(await code({ clientId: 's1', clean: true }), 0);
  assert.equal(await code({ clientId: 's3', clean: false }), 0);
});

test('QoS 2 messages awaiting PUBREL are bounded per account over all its connections (MQTT 5: DISCONNECT 0x97)', async (t) => {
  const hub = await startHub({ mqtt: { maxInflightInboundBytesPerAccount: 65_536 } } as Overrides);
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const a = await deviceAccount(hub, 'flooder');
  const b = await deviceAccount(hub, 'neighbour');
  const as = (account: { username: string; password: string }) => ({ username: account.username, password: Buffer.from(account.password) });
  const qos2 = (messageId: number, topic: string) => ({ cmd: 'publish' as const, topic, payload: Buffer.alloc(40_000, 0x71), qos: 2 as const, messageId, retain: false, dup: false });

  // 40 KB unreleased on one connection: within 64 KiB.
  const first = await RawClient.connect(t, port, 4, { clientId: 'flood-1', ...as(a) });
  assert.equal(first.connack.returnCode, 0);
  first.raw.send(qos2(1, 'ourhome/a/room/q1'));
  await first.raw.next('pubrec');
  // 40 KB more on a second connection of the same account: over, refused with 0x97 and disconnected.
  const second = await RawClient.connect(t, port, 5, { clientId: 'flood-2', ...as(a) });
  assert.equal(second.connack.reasonCode, 0);
  second.raw.send(qos2(1, 'ourhome/a/room/q2'));
  const disconnect = (await second.raw.next('disconnect')) as { reasonCode?: number };
  assert.equal(disconnect.reasonCode, 0x97, 'Quota exceeded');
  await second.raw.closed;
  assert.equal(second.raw.packets.some((p) => p.cmd === 'pubrec'), false, 'not acknowledged: neither stored nor published');
  assert.equal(hub.hub.broker.counters.inboundQos2QuotaExceeded, 1);

  // Another account has its own budget.
  const other = await RawClient.connect(t, port, 5, { clientId: 'neighbour-1', ...as(b) });
  other.raw.send(qos2(1, 'ourhome/b/room/q1'));
  await other.raw.next('pubrec');
  // Released, the budget is free again.
  first.raw.send({ cmd: 'pubrel', messageId: 1 });
  await first.raw.next('pubcomp');
  const third = await RawClient.connect(t, port, 5, { clientId: 'flood-3', ...as(a) });
  third.raw.send(qos2(1, 'ourhome/a/room/q3'));
  await third.raw.next('pubrec');
});

test('with memory persistence, retained QoS 1 publishes from many connections of one account are all acknowledged', async (t) => {
  const hub = await startHub({ mqtt: { persistence: 'memory' } });
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const clients = await Promise.all(Array.from({ length: 20 }, (_, k) => connect(hub.mqttUrl, { ...creds, clientId: `mem-${k}` })));
  t.after(() => Promise.all(clients.map((c) => end(c))));
  let acked = 0;
  for (const [k, c] of clients.entries()) {
    for (let i = 0; i < 200; i++) c.publish(`store/retained/c${k}/d${i}/state`, 'x'.repeat(100), { qos: 1, retain: true }, (err) => void (err || acked++));
  }
  // Before: the owner stamp on the client's PUBLISH lost 60-90 of these 4,000 PUBACKs for good.
  await waitFor(() => acked === 4000, 30_000, `all 4,000 acknowledged (${acked} so far)`).catch(() => undefined);
  assert.equal(acked, 4000);
});

test('a burst past mqtt.maxQueuedPerSession to an online stored session drops the oldest and keeps the subscriber connected', async (t) => {
  const hub = await startHub({ mqtt: { maxQueuedPerSession: 3 } } as Overrides);
  t.after(() => hub.stop());
  const a = await deviceAccount(hub, 'panel');
  const command = 'ourhome/ground/hall/panel/set';
  const closes: string[] = [];
  const panel = await connectKeeping(hub.mqttUrl, { ...a, clientId: 'panel-1', clean: false });
  panel.client.on('close', () => closes.push('close'));
  t.after(() => end(panel.client));
  await subscribe(panel.client, command, 1);
  // Many publishers at once: the queue is cut by its bound many more times than it remembers dropped entries, while
  // the deliveries of those entries are still on their way (aedes then asks to update entries no longer there).
  const admins = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => connect(hub.mqttUrl, { username: 'admin', password: adminPassword, clientId: `burst-${n}` })));
  t.after(() => Promise.all(admins.map(end)));
  await Promise.all(admins.flatMap((c, n) => Array.from({ length: 300 }, (_, i) => publish(c, command, `cmd-${n}-${i}`, { qos: 1 }))));
  assert.deepEqual(closes, [], 'the subscriber stayed connected through the burst');
  await publish(admins[0]!, command, 'after', { qos: 1 });
  await waitFor(() => panel.got.includes('after') || closes.length > 0, 10_000, 'the message after the burst');
  assert.deepEqual(closes, [], 'the subscriber stayed connected');
  assert.equal(panel.client.connected, true);
  assert.ok(hub.hub.broker.counters.queuedDropped > 0, 'the bound dropped messages');
});
