import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { adminPassword, connect, publish, startHub, subscribe } from '../helpers/hub.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, collect, linkOf, until } from '../helpers/bridge-out.js';
import { fiveInFlight, mosquittoWithSink, sentAgainThenNew } from '../helpers/bridge-session.js';
import { FakeRemote, idsOf, wire, type WirePublish as Pub, PUBCOMP, PUBREC, startCutter } from '../helpers/bridge-wire.js';

// An outbound bridge with a persistent session (cleanSession: false) whose connection drops: what the remote had not
// acknowledged goes again under its original packet identifier, DUP 1, or as a PUBREL once the PUBREC came
// [MQTT-4.4.0-1] [MQTT-3.3.1-1], when the remote kept the session; as new messages when it did not (docs/bridges.md).

const admin = { username: 'admin', password: adminPassword };
const skip = mosquittoBin() ? false : 'mosquitto is not installed';


for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 5 ? 5 : '3.1.1'}, persistent session: after a drop, Session Present 1 brings what was unacknowledged again under its ids with DUP 1 and a PUBREL for the QoS 2 message whose PUBREC came, before the queue; Session Present 0 brings it all as new messages`, async (t) => {
    const remote = await FakeRemote.start();
    t.after(() => remote.stop());
    const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, cleanSession: false, topics: ['q/# out 2'] })] });
    t.after(() => hub.stop());
    const first = await remote.connection(0);
    const connect0 = first.packets[0] as Packet & { clean: boolean; properties?: { sessionExpiryInterval?: number } };
    assert.equal(connect0.clean, false, 'CONNECT with Clean Session / Clean Start 0');
    if (protocolVersion === 5) assert.ok((connect0.properties?.sessionExpiryInterval ?? 0) > 0, 'MQTT 5: a Session Expiry Interval, so that the session outlives the connection');
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');

    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => local.end(true));
    const qos = [1, 2, 2, 1, 1] as const;
    const id = await fiveInFlight(hub.hub, local, first);

    // The connection drops; the remote kept the session.
    remote.sessionPresent = true;
    first.close();
    const second = await remote.connection(1);
    // The queue goes on after them: a new message takes an id not in flight, DUP 0.
    await sentAgainThenNew(second, id, local);

    // It drops again, and this time the remote kept nothing (Session Present 0): everything unacknowledged goes as
    // new messages, from the oldest, q/1 as a PUBLISH again (the remote has no PUBREC state for it any more).
    remote.sessionPresent = false;
    second.close();
    const third = await remote.connection(2);
    await third.until('five messages as new', (p) => wire(p).length >= 5);
    const again = third.packets.filter((p) => p.cmd === 'publish') as Pub[];
    assert.deepEqual(wire(third.packets).map((w) => w.replace(/ \d+ q/, ' <id> q')), [0, 1, 2, 4, 5].map((i) => `publish q/${i} <id> q${i === 5 ? 1 : qos[i]}`), 'all DUP 0, no PUBREL');
    assert.equal(new Set(again.map((p) => p.messageId)).size, 5);
    // Acknowledged at last: the queue empties.
    for (const p of again) third.send({ cmd: p.qos === 1 ? 'puback' : 'pubrec', messageId: p.messageId });
    await third.until('the PUBRELs', (p) => wire(p).filter((w) => w.startsWith('pubrel')).length === 2);
    for (const p of again.filter((p) => p.qos === 2)) third.send({ cmd: 'pubcomp', messageId: p.messageId });
    await until('the queue to empty', () => linkOf(hub.hub).queueDepth === 0);
  });

  test(`MQTT ${protocolVersion === 5 ? 5 : '3.1.1'}, persistent session: a QoS 2 message coming in whose PUBREC went before a drop is brought into the hub, once, at the PUBREL the remote sends again on the resumed session`, async (t) => {
    const remote = await FakeRemote.start();
    t.after(() => remote.stop());
    const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, cleanSession: false, topics: ['cmd/# in 2'] })] });
    t.after(() => hub.stop());
    const first = await remote.connection(0);
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
    const near = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => near.end(true));
    await subscribe(near, 'cmd/#', 2);
    const got = collect(near);
    first.send({ cmd: 'publish', topic: 'cmd/a', payload: Buffer.from('one'), qos: 2, messageId: 7, retain: false, dup: false });
    await first.until('the PUBREC', (p) => idsOf(p, 'pubrec').includes(7));
    // The connection drops before the PUBREL; the remote kept the session and sends the PUBREL again [MQTT-4.4.0-1].
    remote.sessionPresent = true;
    first.close();
    const second = await remote.connection(1);
    second.send({ cmd: 'pubrel', messageId: 7 });
    await second.until('the PUBCOMP', (p) => idsOf(p, 'pubcomp').includes(7));
    // A later message: once it is in the hub, the first is too if it ever will be (the link brings them in in order).
    second.send({ cmd: 'publish', topic: 'cmd/b', payload: Buffer.from('two'), qos: 1, messageId: 8, retain: false, dup: false });
    await until('the later message in the hub', () => got.includes('cmd/b two'));
    assert.deepEqual(got, ['cmd/a one', 'cmd/b two']);
  });

  test(`MQTT ${protocolVersion === 5 ? 5 : '3.1.1'}, persistent session with mosquitto: QoS 2 messages arrive exactly once, in order, at a QoS 2 subscriber there while the link is cut at a PUBCOMP and at a PUBREC`, { skip }, async (t) => {
    const mosquitto = await mosquittoWithSink(t, protocolVersion);
    const got = mosquitto.got;
    // Between the hub and mosquitto, a proxy that drops the 15th PUBCOMP (mosquitto has delivered that message on its
    // PUBREL; the bridge does not learn it) and the 60th PUBREC, each with the connection.
    let pubrecs = 0;
    let pubcomps = 0;
    let cuts = 0;
    const cutter = await startCutter(mosquitto.port, (type) => {
      const cut = (type === PUBCOMP && ++pubcomps === 15) || (type === PUBREC && ++pubrecs === 60);
      if (cut) cuts++;
      return cut;
    });
    t.after(() => cutter.stop());
    // maxInflight 20: mosquitto takes at most max_inflight_messages (20) unreleased QoS 2 messages from a client; MQTT 5
    // says so in its Receive Maximum, but a 3.1.1 client past it gets a PUBREC and the message is dropped (docs/bridges.md).
    const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${cutter.port}`, protocolVersion, cleanSession: false, maxInflight: 20, topics: ['q/# out 2 "" site/'] })] });
    t.after(() => hub.stop());
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');

    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => local.end(true));
    const n = 150;
    await Promise.all(Array.from({ length: n }, (_, i) => publish(local, 'q/s', `m${i}`, { qos: 2 })));
    await until('both cuts', () => cuts === 2, 60_000);
    await until('every message acknowledged by mosquitto', () => linkOf(hub.hub).queueDepth === 0 && linkOf(hub.hub).state === 'connected', 60_000);
    // A last message on the same topic: once it is at the subscriber, everything before it is too (one topic, one
    // subscriber, in order [MQTT-4.6.0-6]), a second copy included.
    await publish(local, 'q/s', 'end', { qos: 2 });
    await until('the last message at the subscriber', () => got.includes('site/q/s end'), 30_000);
    assert.deepEqual(got, [...Array.from({ length: n }, (_, i) => `site/q/s m${i}`), 'site/q/s end'], 'each once, in order');
    assert.ok(hub.hub.bridges!.links[0]!.counters.connects >= 3, 'the bridge connected again after each cut');
  });
}

test('MQTT 3.1.1 with the default maxInflight: a burst of QoS 2 messages (QoS 1 among them) to a default mosquitto all arrive, each once (the link keeps at most 20 unreleased)', { skip }, async (t) => {
  const mosquitto = await startMosquitto([]);
  t.after(() => mosquitto.stop());
  const sink = await connect(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: 'sink' });
  t.after(() => sink.end(true));
  await subscribe(sink, 'site/#', 2);
  const got = collect(sink);
  const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${mosquitto.port}`, topics: ['q/# out 2 "" site/', 'r/# out 1 "" site/'] })] });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  // QoS 1 among them: mosquitto refuses those too while it holds 20 unreleased QoS 2 messages.
  const n = 150;
  await Promise.all(Array.from({ length: n }, (_, i) => publish(local, i % 10 === 9 ? 'r/s' : 'q/s', `m${i}`, { qos: 2 })));
  await until('every message acknowledged by mosquitto', () => linkOf(hub.hub).queueDepth === 0, 60_000);
  await publish(local, 'q/s', 'end', { qos: 2 });
  await until('the last message at the subscriber', () => got.includes('site/q/s end'), 30_000);
  // Each exactly once. Compared as sets: with QoS 1 and 2 mixed on mosquitto's own window to its subscriber, 2 runs in
  // 9 saw one pair of q/ messages swapped at that subscriber while a subscriber on the hub saw every one in order.
  const sorted = (list: string[]) => [...list].sort();
  assert.deepEqual(sorted(got.filter((m) => m.startsWith('site/q/'))), sorted([...Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 !== 9).map((i) => `site/q/s m${i}`), 'site/q/s end']));
  assert.deepEqual(sorted(got.filter((m) => m.startsWith('site/r/'))), sorted(Array.from({ length: n / 10 }, (_, k) => `site/r/s m${k * 10 + 9}`)));
});
