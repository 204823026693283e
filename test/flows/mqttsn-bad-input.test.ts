import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { SnClient, admin, flags, snHub } from '../helpers/mqttsn-client.js';
import { malformed } from '../fixtures/mqttsn/spec-packets.js';
import { fuzzMqttSn } from '../fuzz/mqttsn-fuzzer.js';
import { seedFromEnv } from '../fuzz/prng.js';
import { request } from '../helpers/tls.js';
import { readMetrics } from '../helpers/http.js';

/** A well-behaved MQTT-SN publisher on 127.0.0.1 and an MQTT subscriber that must get all it sends, in order. */
async function goodPair(t: import('node:test').TestContext, hub: Awaited<ReturnType<typeof snHub>>) {
  const account = await deviceAccount(hub, 'good-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/#']);
  await hub.bindings.bind('good', account.username, ['127.0.0.1']);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'good-subscriber' });
  t.after(() => end(sub));
  await subscribe(sub, 'sn/good', 1);
  const received: string[] = [];
  sub.on('message', (_tp, payload) => received.push(payload.toString()));
  const sn = await SnClient.open(hub.snPort);
  t.after(() => sn.close());
  assert.equal(await sn.connect('good', { duration: 600 }), 0);
  const id = await sn.register('sn/good');
  let n = 0;
  /** One QoS 1 publish, answered PUBACK. */
  const send = async (): Promise<void> => {
    const msgId = ++n;
    sn.send({ type: 'publish', flags: flags({ qos: 1 }), topic: { type: 'normal', id }, msgId, data: Buffer.from(String(msgId)) });
    assert.equal((await sn.next('puback', (p) => p.msgId === msgId)).returnCode, 0);
  };
  return { received, send, sent: () => n };
}

test('MQTT-SN bad input: each kind dropped or answered with the spec\'s code, counted per address, and another client is unaffected', async (t) => {
  const hub = await snHub({ datagramRate: 200, datagramBurst: 100, maxAddresses: 16 });
  t.after(() => hub.stop());
  const good = await goodPair(t, hub);
  const bad = await SnClient.open(hub.snPort, '::1');
  t.after(() => bad.close());
  const badAccount = await deviceAccount(hub, 'bad-sn');
  await hub.bindings.bind('bad', badAccount.username, undefined);
  const stats = hub.hub.mqttsn!.stats;

  // Malformed, truncated, wrong lengths (1- and 3-octet forms), unknown MsgTypes: dropped and counted.
  for (const m of malformed) bad.send(m.bytes);
  await waitFor(() => stats.of('::1')?.malformed === malformed.length, 5000, `${malformed.length} malformed counted`);
  await good.send();

  // A session, then topic ids never registered (0x02) and QoS −1 subscriptions (0x03).
  assert.equal(await bad.connect('bad', { duration: 600 }), 0);
  bad.send({ type: 'publish', flags: flags({ qos: 0 }), topic: { type: 'normal', id: 77 }, msgId: 0, data: Buffer.from('x') });
  assert.equal((await bad.next('puback')).returnCode, 0x02);
  bad.send({ type: 'subscribe', flags: flags({ qos: -1 }), msgId: 9, topic: { type: 'name', name: 'sn/x' } });
  assert.equal((await bad.next('suback')).returnCode, 0x03);
  bad.send({ type: 'register', topicId: 0, msgId: 3, topicName: 'sn/#' });
  assert.equal((await bad.next('regack')).returnCode, 0x03);
  assert.deepEqual({ invalid: stats.of('::1')!.invalidTopicId, unsupported: stats.of('::1')!.unsupported }, { invalid: 1, unsupported: 2 });
  assert.equal(stats.of('127.0.0.1')!.malformed + stats.of('127.0.0.1')!.invalidTopicId + stats.of('127.0.0.1')!.unsupported, 0, 'nothing counted against the good address');

  // A flood from one address: over its rate it is dropped unread; the good client goes on.
  for (let i = 0; i < 1000; i++) bad.send([0x02, 0x16]);
  await waitFor(() => (stats.of('::1')?.flooded ?? 0) > 0, 5000, 'the flood counted');
  for (let i = 0; i < 5; i++) await good.send();

  // Many source addresses (as spoofed ones would be): the per-address map stays within maxAddresses.
  for (let i = 2; i < 42; i++) {
    const c = await SnClient.open(hub.snPort, '127.0.0.1', `127.0.0.${i}`);
    await c.send([0x02, 0x03]);
    await c.close();
  }
  await waitFor(() => stats.total.malformed >= malformed.length + 40, 5000, 'every source counted').catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(stats.total)}`); });
  assert.ok(stats.size <= 16, `at most 16 addresses kept, not ${stats.size}`);

  await good.send();
  await waitFor(() => good.received.length === good.sent(), 5000, 'every good message');
  assert.deepEqual(good.received, Array.from({ length: good.sent() }, (_, i) => String(i + 1)));
  const metrics = await readMetrics(hub);
  assert.match(metrics, new RegExp(`^rumah_mqttsn_malformed_total ${stats.total.malformed}$`, 'm'));
  assert.match(metrics, /^rumah_mqttsn_flooded_total [1-9]\d*$/m);
});

test('MQTT-SN fuzz: mutated specification packets, well-formed session messages and noise from IPv4 and IPv6 sources; the hub stays up and the good client gets everything', async (t) => {
  const seed = seedFromEnv();
  t.diagnostic(`seed ${seed} (repeat with FUZZ_SEED=${seed})`);
  const hub = await snHub({ maxClients: 50, retryInterval: 0.2, retries: 1, datagramRate: 100_000, datagramBurst: 100_000 });
  t.after(() => hub.stop());
  const good = await goodPair(t, hub);
  const account = await deviceAccount(hub, 'fuzz-sn');
  await hub.hub.store.accounts.setAcl(account.username, ['sn/fuzz/#']);
  const bound = ['fz1', 'fz2', 'fz3', 'fz4'];
  for (const id of bound) await hub.bindings.bind(id, account.username, undefined);

  let pumping = true;
  const pump = (async () => {
    while (pumping) await good.send();
  })();
  const stats = await fuzzMqttSn({ seed, port: hub.snPort, datagrams: Number(process.env.FUZZ_SN_DATAGRAMS ?? 12_000), sockets: 8, ipv6: true, boundClientIds: bound });
  pumping = false;
  await pump;
  t.diagnostic(`${stats.sent} datagrams, ${stats.answers} answers; counted ${JSON.stringify(hub.hub.mqttsn!.stats.total)}`);

  await waitFor(() => good.received.length === good.sent(), 10_000, 'every good message');
  assert.deepEqual(good.received, Array.from({ length: good.sent() }, (_, i) => String(i + 1)));
  assert.ok(hub.hub.mqttsn!.stats.total.malformed > 0, 'malformed datagrams were counted');
  assert.ok(hub.hub.mqttsn!.clients <= 50, 'sessions within maxClients');
  assert.equal((await request(`${hub.httpUrl}/healthz`)).status, 200);
  assert.ok(hub.hub.mqttsn!.list().some((c) => c.clientId === 'good' && c.state === 'active'));
});
