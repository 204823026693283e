import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { deviceAccount } from '../helpers/hub.js';
import { connect5, hubFor, portOf, publish5, RawClient, subscribe5, until, type V5Client } from '../helpers/mqtt5.js';

// Shared subscriptions (MQTT 5 §4.8.2, server/mqtt/shared-subscriptions.ts): `$share/<group>/<filter>` gives each
// matching message to one connected member of the group, while ordinary subscriptions still get their copy.

/** Payloads `c` received on topics under `prefix`, in order. */
function got(c: V5Client, prefix: string): string[] {
  return c.messages.filter((m) => m.topic.startsWith(prefix)).map((m) => m.payload.toString());
}

/**
 * Publishes a marker on `ctl/…` (every client here follows `ctl/#` plainly) and waits until each client has it: what
 * `pub` published before has been routed to all of them.
 */
async function settle(pub: MqttClient, clients: V5Client[]): Promise<void> {
  const topic = `ctl/marker-${Math.random().toString(36).slice(2)}`;
  await publish5(pub, topic, 'marker', { qos: 1 });
  await until(() => clients.every((c) => c.messages.some((m) => m.topic === topic)), `marker ${topic} at every client`);
}

/** A connected client following `ctl/#` (for settle) and subscribed to `filters` at QoS 1; returns the SUBACK codes too. */
async function member(t: TestContext, url: string, filters: string[], opts: IClientOptions = {}): Promise<V5Client & { granted: number[] }> {
  const c = await connect5(t, url, opts);
  await subscribe5(c.client, 'ctl/#', { qos: 1 });
  const granted = filters.length ? await subscribe5(c.client, filters, { qos: 1 }) : [];
  return { ...c, granted };
}

test('each message goes to exactly one member of the group, in turn, while an ordinary subscriber gets every one', async (t) => {
  const hub = await hubFor(t);
  const a = await member(t, hub.mqttUrl, ['$share/workers/jobs/#']);
  const b = await member(t, hub.mqttUrl, ['$share/workers/jobs/#']);
  const plain = await member(t, hub.mqttUrl, ['jobs/#']);
  // §3.2.2.3.13: aedes says 0 (not available); the hub says otherwise.
  assert.notEqual(a.connack.properties?.sharedSubscriptionAvailable, false);
  assert.deepEqual([...a.granted, ...b.granted], [1, 1], 'SUBACK grants QoS 1, not 0x9E');

  const pub = await connect5(t, hub.mqttUrl);
  const sent = Array.from({ length: 20 }, (_, i) => `job-${i}`);
  for (const [i, v] of sent.entries()) await publish5(pub.client, `jobs/${i % 3}`, v, { qos: (i % 2) as 0 | 1 });
  await settle(pub.client, [a, b, plain]);

  assert.deepEqual(got(plain, 'jobs/'), sent, 'the ordinary subscription gets its own copy of each');
  const shared = [...got(a, 'jobs/'), ...got(b, 'jobs/')];
  assert.deepEqual([...shared].sort(), [...sent].sort(), 'the group got each message exactly once');
  assert.deepEqual([got(a, 'jobs/').length, got(b, 'jobs/').length], [10, 10], 'taken in turn by its two members');
  for (const m of [a, b]) assert.ok(got(m, 'jobs/').every((v, i, all) => i === 0 || sent.indexOf(v) > sent.indexOf(all[i - 1]!)), 'each member gets its share in the order published');
});

test('two groups on one filter each get every message once; a Subscription Identifier comes with the shared copy', async (t) => {
  const hub = await hubFor(t);
  const a = await connect5(t, hub.mqttUrl);
  await subscribe5(a.client, 'ctl/#', { qos: 1 });
  await subscribe5(a.client, '$share/one/ev/+', { qos: 1, properties: { subscriptionIdentifier: 7 } });
  const b = await member(t, hub.mqttUrl, ['$share/two/ev/+']);
  const pub = await connect5(t, hub.mqttUrl);
  for (const v of ['e1', 'e2', 'e3']) await publish5(pub.client, 'ev/x', v);
  await settle(pub.client, [a, b]);
  assert.deepEqual(got(a, 'ev/'), ['e1', 'e2', 'e3']);
  assert.deepEqual(got(b, 'ev/'), ['e1', 'e2', 'e3']);
  assert.deepEqual(a.messages.filter((m) => m.topic === 'ev/x').map((m) => m.properties?.subscriptionIdentifier), [7, 7, 7]);
});

test('a member that disconnects leaves the group; with no member connected the group gets nothing, ordinary subscribers still do', async (t) => {
  const hub = await hubFor(t);
  const a = await member(t, hub.mqttUrl, ['$share/g/work/#']);
  const b = await member(t, hub.mqttUrl, ['$share/g/work/#']);
  const plain = await member(t, hub.mqttUrl, ['work/#']);
  const pub = await connect5(t, hub.mqttUrl);
  await new Promise<void>((r) => a.client.end(true, {}, () => r()));
  for (const v of ['w1', 'w2', 'w3', 'w4']) await publish5(pub.client, 'work/x', v);
  await settle(pub.client, [b, plain]);
  assert.deepEqual(got(a, 'work/'), []);
  assert.deepEqual(got(b, 'work/'), ['w1', 'w2', 'w3', 'w4'], 'everything to the member left');

  await new Promise<void>((r) => b.client.end(true, {}, () => r()));
  await publish5(pub.client, 'work/x', 'unclaimed');
  await settle(pub.client, [plain]);
  assert.deepEqual(got(plain, 'work/'), ['w1', 'w2', 'w3', 'w4', 'unclaimed']);
  // A member joining later does not get what no member was there for (clean sessions keep nothing).
  const c = await member(t, hub.mqttUrl, ['$share/g/work/#']);
  await publish5(pub.client, 'work/x', 'w5');
  await settle(pub.client, [c, plain]);
  assert.deepEqual(got(c, 'work/'), ['w5']);
});

test('UNSUBSCRIBE $share/… leaves the group (UNSUBACK Success); the client\'s ordinary subscription is untouched', async (t) => {
  const hub = await hubFor(t);
  const a = await member(t, hub.mqttUrl, ['$share/g/u/#', 'u/special']);
  const b = await member(t, hub.mqttUrl, ['$share/g/u/#']);
  const reasons = await new Promise<number[] | undefined>((resolve, reject) =>
    a.client.unsubscribe('$share/g/u/#', {}, (err, packet) => (err ? reject(err) : resolve((packet as { granted?: number[] } | undefined)?.granted))),
  );
  assert.deepEqual(reasons, [0], 'UNSUBACK Success, not 0x11 No subscription existed');
  const pub = await connect5(t, hub.mqttUrl);
  for (const v of ['x1', 'x2']) await publish5(pub.client, 'u/other', v);
  await publish5(pub.client, 'u/special', 'x3');
  await settle(pub.client, [a, b]);
  assert.deepEqual(got(b, 'u/'), ['x1', 'x2', 'x3']);
  assert.deepEqual(got(a, 'u/'), ['x3'], 'only through its ordinary subscription');
});

test('an MQTT 3.1.1 client may use $share/ too (as with mosquitto), in a group with an MQTT 5 client', async (t) => {
  const hub = await hubFor(t);
  const old = await member(t, hub.mqttUrl, ['$share/mixed/m/#'], { protocolVersion: 4 });
  const v5 = await member(t, hub.mqttUrl, ['$share/mixed/m/#']);
  assert.deepEqual(old.granted, [1]);
  const pub = await connect5(t, hub.mqttUrl);
  for (const v of ['a', 'b', 'c', 'd']) await publish5(pub.client, 'm/x', v);
  await settle(pub.client, [old, v5]);
  assert.deepEqual([...got(old, 'm/'), ...got(v5, 'm/')].sort(), ['a', 'b', 'c', 'd']);
  assert.equal(got(old, 'm/').length, 2);
});

test('the ACL judges the real filter, not the $share/ name', async (t) => {
  const hub = await hubFor(t);
  const account = await deviceAccount(hub);
  await hub.hub.store.accounts.setAcl(account.username, ['sensors/#']);
  const dev = await connect5(t, hub.mqttUrl, account);
  const codes = await subscribe5(dev.client, ['$share/g/sensors/#', '$share/g/ourhome/#', '$share/g/$SYS/#'], { qos: 1 });
  assert.equal(codes[0], 1, '$share/g/sensors/# is inside the account\'s filters');
  assert.ok(codes[1]! >= 0x80 && codes[2]! >= 0x80, `refused outside them: ${JSON.stringify(codes)}`);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'sensors/t1', '21.5');
  await publish5(pub.client, 'ourhome/hall/t', '20');
  await until(() => got(dev, 'sensors/').length === 1, 'the allowed shared message');
  await publish5(pub.client, 'sensors/end', 'end');
  await until(() => got(dev, 'sensors/').length === 2, 'the end marker');
  assert.deepEqual(dev.messages.map((m) => m.topic), ['sensors/t1', 'sensors/end']);
});

test('retained messages are not sent on a new shared subscription [MQTT-4.8.2]; an ordinary one gets them', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'kept/state', 'ON', { qos: 1, retain: true });
  const s = await member(t, hub.mqttUrl, ['$share/g/kept/#']);
  const plain = await member(t, hub.mqttUrl, ['kept/#']);
  await publish5(pub.client, 'kept/state', 'OFF', { qos: 1 });
  await settle(pub.client, [s, plain]);
  assert.deepEqual(got(s, 'kept/'), ['OFF']);
  assert.deepEqual(got(plain, 'kept/'), ['ON', 'OFF']);
});

test('malformed shared filters and No Local on a shared subscription are refused for that filter alone; the connection stays', async (t) => {
  const hub = await hubFor(t);
  // Raw: MQTT.js will not send these.
  const { raw } = await RawClient.connect(t, portOf(hub.mqttUrl), 5);
  const filters = ['$share/g', '$share//f', '$share/a+b/f', '$share/a#/f', '$rumah-share/g/f', 'fine/#'];
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) } as Packet);
  const codes = ((await raw.next('suback')) as { granted: number[] }).granted;
  assert.equal(codes.length, filters.length, `one code per filter: ${JSON.stringify(codes)}`);
  assert.ok(codes.slice(0, 5).every((code) => code >= 0x80 && code !== 0x9e), `refused, not "not supported": ${JSON.stringify(codes)}`);
  assert.equal(codes[5], 1);
  raw.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: '$share/g/nl/#', qos: 1, nl: true }] } as Packet);
  await until(() => raw.packets.filter((p) => p.cmd === 'suback').length === 2, 'the second SUBACK');
  const nl = (raw.packets.filter((p) => p.cmd === 'suback')[1] as { granted: number[] }).granted;
  assert.ok(nl[0]! >= 0x80, `No Local refused [MQTT-3.8.3-4]: ${JSON.stringify(nl)}`);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'fine/x', 'still here');
  await until(() => raw.packets.some((p) => p.cmd === 'publish'), 'a message on the good filter');
  assert.equal(raw.isClosed, false);
});

test('publishing to a $share/ topic is refused (PUBACK 0x87) and makes no device', async (t) => {
  const hub = await hubFor(t);
  const s = await member(t, hub.mqttUrl, ['$share/g/#', '#']);
  const pub = await connect5(t, hub.mqttUrl);
  await assert.rejects(publish5(pub.client, '$share/g/ourhome/hall/light', 'ON', { qos: 1 }), (err: Error & { code?: number }) => err.code === 0x87 || /0x87|135|not authorized|\$share/i.test(err.message));
  await settle(pub.client, [s]);
  assert.deepEqual(s.messages.filter((m) => m.topic.includes('$share')), []);
  // The hub's own publishes (rules, commands) are refused too.
  await assert.rejects(hub.hub.broker.publish({ topic: '$share/g/ourhome/hall/light', payload: 'ON' }), /\$share\//);
  assert.deepEqual(hub.hub.registry.list().filter((d) => JSON.stringify(d).includes('$share')), []);
});

for (const persistence of ['sqlite', 'memory'] as const) {
  test(`a persistent member (${persistence} store): an unacknowledged QoS 1 message stays with its session and comes again at reconnect, where the shared subscription is restored`, async (t) => {
    const hub = await hubFor(t, { mqtt: { persistence } });
    const port = portOf(hub.mqttUrl);
    const session = { clientId: 'shared-sleeper', clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await RawClient.connect(t, port, 5, session);
    first.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/p/#', qos: 1 }], properties: { subscriptionIdentifier: 9 } } as Packet);
    const suback = (await first.raw.next('suback')) as { granted: number[] };
    assert.deepEqual(suback.granted, [1]);
    const pub = await connect5(t, hub.mqttUrl);
    await publish5(pub.client, 'p/x', 'unacked', { qos: 1 });
    await until(() => first.raw.packets.some((p) => p.cmd === 'publish'), 'the message at the member');
    first.raw.socket.destroy(); // gone without acknowledging it

    const { raw, connack } = await RawClient.connect(t, port, 5, session);
    assert.equal(connack.sessionPresent, true);
    const publishes = (): IPublishPacket[] => raw.packets.filter((p: Packet): p is IPublishPacket => p.cmd === 'publish');
    await until(() => publishes().some((p) => p.payload.toString() === 'unacked'), 'the unacknowledged message again');
    // No new SUBSCRIBE: the session's shared subscription makes it a member again.
    await publish5(pub.client, 'p/x', 'after', { qos: 1 });
    await until(() => publishes().some((p) => p.payload.toString() === 'after'), 'a new message through the restored subscription');
    assert.deepEqual(publishes().map((p) => p.payload.toString()), ['unacked', 'after']);
    assert.deepEqual(publishes().map((p) => p.properties?.subscriptionIdentifier), [9, 9], 'the Subscription Identifier, also on the copy sent again');
    assert.equal(publishes()[0]!.dup, true, 'sent again with DUP');
    assert.equal(raw.isClosed, false);
  });
}

test('a shared subscription gets a message at most at the QoS it was granted [MQTT-3.8.4-8]', async (t) => {
  const hub = await hubFor(t);
  const one = await member(t, hub.mqttUrl, []);
  assert.deepEqual(await subscribe5(one.client, '$share/g/q/#', { qos: 1 }), [1]);
  const zero = await member(t, hub.mqttUrl, []);
  assert.deepEqual(await subscribe5(zero.client, '$share/h/q/#', { qos: 0 }), [0]);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'q/x', 'exactly-once', { qos: 2 });
  await settle(pub.client, [one, zero]);
  assert.deepEqual(one.messages.filter((m) => m.topic === 'q/x').map((m) => m.qos), [1]);
  assert.deepEqual(zero.messages.filter((m) => m.topic === 'q/x').map((m) => m.qos), [0]);
});

test('a member whose Receive Maximum is used up is passed over while another member has room', async (t) => {
  const hub = await hubFor(t);
  // A member that takes one QoS 1 message at a time and never acknowledges it.
  const { raw: slow } = await RawClient.connect(t, portOf(hub.mqttUrl), 5, { properties: { receiveMaximum: 1 } });
  slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/rm/#', qos: 1 }, { topic: 'ctl/#', qos: 0 }] } as Packet);
  await slow.next('suback');
  const fast = await member(t, hub.mqttUrl, ['$share/g/rm/#']);
  const pub = await connect5(t, hub.mqttUrl);
  const sent = Array.from({ length: 12 }, (_, i) => `r${i}`);
  for (const v of sent) await publish5(pub.client, 'rm/x', v, { qos: 1 });
  const topic = `ctl/marker-${Math.random().toString(36).slice(2)}`;
  await publish5(pub.client, topic, 'marker', { qos: 1 });
  await until(() => fast.messages.some((m) => m.topic === topic) && slow.packets.some((p) => p.cmd === 'publish' && (p as IPublishPacket).topic === topic), 'the marker at both');
  const slowGot = slow.packets.filter((p): p is IPublishPacket => p.cmd === 'publish' && (p as IPublishPacket).topic === 'rm/x').map((p) => p.payload.toString());
  assert.equal(slowGot.length, 1, `the silent member got one message (its Receive Maximum): ${JSON.stringify(slowGot)}`);
  assert.deepEqual([...slowGot, ...got(fast, 'rm/')].sort(), [...sent].sort(), 'every message once, the rest to the member with room');
});
