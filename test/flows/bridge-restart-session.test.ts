import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, connect, publish, startHub, subscribe, tempDir } from '../helpers/hub.js';
import { bridge, collect, linkOf, until } from '../helpers/bridge-out.js';
import { fiveInFlight, mosquittoWithSink, sentAgainThenNew } from '../helpers/bridge-session.js';
import { FakeRemote, idsOf, PUBCOMP, startCutter, wire } from '../helpers/bridge-wire.js';
import { mosquittoBin } from '../helpers/mosquitto.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// An outbound bridge with a persistent session (cleanSession: false) across a clean stop of the hub (an upgrade, the
// service restarted): the session goes on as after a dropped connection (server/bridge/saved-session.ts,
// docs/bridges.md "Persistent sessions"). Before, the packet identifiers were lost at every restart: what was in
// flight went as new messages (a QoS 2 message the remote had delivered at its PUBREL could arrive twice), and the
// remote's PUBREL for a QoS 2 message coming in found nothing, so that message was lost.

const admin = { username: 'admin', password: adminPassword };
const skip = mosquittoBin() ? false : 'mosquitto is not installed';

for (const protocolVersion of [4, 5] as const) {
  const v = protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';

  test(`${v}: after a clean restart the remote's Session Present 1 gets what was in flight again under its ids, DUP 1, and the PUBREL of the QoS 2 message whose PUBREC came`, async (t) => {
    const remote = await FakeRemote.start();
    t.after(() => remote.stop());
    const dataDir = tempDir();
    removeWhenDone(dataDir);
    const config = { bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, cleanSession: false, topics: ['q/# out 2'] })] };
    const hub = await startHub(config, { dataDir });
    const first = await remote.connection(0);
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    const id = await fiveInFlight(hub.hub, local, first);
    local.end(true);
    await hub.stop();

    // The remote kept the session; the hub comes back on the same data folder.
    remote.sessionPresent = true;
    const again = await startHub(config, { dataDir });
    t.after(() => again.stop());
    const second = await remote.connection(1);
    const near = await connect(again.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => near.end(true));
    const q5 = await sentAgainThenNew(second, id, near);
    // Acknowledged at last, the queue empties: nothing waits twice.
    second.send({ cmd: 'puback', messageId: id.get('q/0') });
    second.send({ cmd: 'pubcomp', messageId: id.get('q/1') });
    second.send({ cmd: 'pubrec', messageId: id.get('q/2') });
    second.send({ cmd: 'puback', messageId: id.get('q/4') });
    second.send({ cmd: 'puback', messageId: q5.messageId });
    await second.until('the PUBREL of q/2', (p) => wire(p).includes(`pubrel ${id.get('q/2')}`));
    second.send({ cmd: 'pubcomp', messageId: id.get('q/2') });
    await until('the queue to empty', () => linkOf(again.hub).queueDepth === 0);
    assert.equal(linkOf(again.hub).messagesOut, 5);
  });

  test(`${v}: after a clean restart a QoS 2 message coming in whose PUBREC went before the stop is brought into the hub, once, at the PUBREL the remote sends again`, async (t) => {
    const remote = await FakeRemote.start();
    t.after(() => remote.stop());
    const dataDir = tempDir();
    removeWhenDone(dataDir);
    const config = { bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, cleanSession: false, topics: ['cmd/# in 2'] })] };
    const hub = await startHub(config, { dataDir });
    const first = await remote.connection(0);
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
    first.send({ cmd: 'publish', topic: 'cmd/a', payload: Buffer.from('one'), qos: 2, messageId: 7, retain: false, dup: false, ...(protocolVersion === 5 ? { properties: { userProperties: { from: 'remote' } } } : {}) });
    await first.until('the PUBREC', (p) => idsOf(p, 'pubrec').includes(7));
    await hub.stop();

    remote.sessionPresent = true;
    const again = await startHub(config, { dataDir });
    t.after(() => again.stop());
    const second = await remote.connection(1);
    await until('the bridge to connect again', () => linkOf(again.hub).state === 'connected');
    const near = await connect(again.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => near.end(true));
    await subscribe(near, 'cmd/#', 2);
    const got = collect(near);
    second.send({ cmd: 'pubrel', messageId: 7 });
    await second.until('the PUBCOMP', (p) => idsOf(p, 'pubcomp').includes(7));
    // A later message: once it is in the hub, the first is too if it ever will be (the link brings them in in order).
    second.send({ cmd: 'publish', topic: 'cmd/b', payload: Buffer.from('two'), qos: 1, messageId: 8, retain: false, dup: false });
    await until('the later message in the hub', () => got.includes('cmd/b two'));
    assert.deepEqual(got, ['cmd/a one', 'cmd/b two']);
  });

  test(`${v}, with mosquitto: a QoS 2 message whose PUBCOMP had not come at a clean restart is released again, not sent again: the subscriber there gets every message once`, { skip }, async (t) => {
    const mosquitto = await mosquittoWithSink(t, protocolVersion);
    const got = mosquitto.got;
    // The third PUBCOMP never reaches the hub: mosquitto delivered that message at its PUBREL, the bridge waits.
    let pubcomps = 0;
    const cutter = await startCutter(mosquitto.port, (type) => (type === PUBCOMP && ++pubcomps === 3 ? 'drop' : false));
    t.after(() => cutter.stop());
    const dataDir = tempDir();
    removeWhenDone(dataDir);
    const config = { bridges: [bridge({ url: `mqtt://127.0.0.1:${cutter.port}`, protocolVersion, cleanSession: false, maxInflight: 20, topics: ['q/# out 2 "" site/'] })] };
    const hub = await startHub(config, { dataDir });
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    for (let i = 0; i < 5; i++) await publish(local, 'q/s', `m${i}`, { qos: 2 });
    await until('the five at the subscriber, one still in flight', () => got.length === 5 && linkOf(hub.hub).queueDepth === 1);
    local.end(true);
    await hub.stop();

    const again = await startHub(config, { dataDir });
    t.after(() => again.stop());
    await until('the last one released and completed', () => linkOf(again.hub).state === 'connected' && linkOf(again.hub).queueDepth === 0);
    // A last message on the same topic: once it is at the subscriber, a second copy of any before it would be too.
    const near = await connect(again.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => near.end(true));
    await publish(near, 'q/s', 'end', { qos: 2 });
    await until('the last message at the subscriber', () => got.includes('site/q/s end'));
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4', 'end'].map((m) => `site/q/s ${m}`), 'each once, in order');
  });
}

test('a bridge changed while the hub runs (the dashboard), to the same remote as the same client, keeps its session: Session Present 1 gets what was in flight under its ids', async (t) => {
  const remote = await FakeRemote.start();
  t.after(() => remote.stop());
  const fields = { url: `mqtt://127.0.0.1:${remote.port}`, cleanSession: false, topics: ['q/# out 2'] };
  const hub = await startHub({ bridges: [bridge(fields)] });
  t.after(() => hub.stop());
  const first = await remote.connection(0);
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  const id = await fiveInFlight(hub.hub, local, first);
  remote.sessionPresent = true;
  await hub.hub.bridges!.set(bridge({ ...fields, keepalive: 30 }));
  const second = await remote.connection(1);
  await sentAgainThenNew(second, id, local);
});

test('a session saved for another remote is not taken up: the bridge pointed elsewhere sends what was in flight as new messages', async (t) => {
  const remote = await FakeRemote.start();
  t.after(() => remote.stop());
  const other = await FakeRemote.start();
  t.after(() => other.stop());
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const at = (port: number) => ({ bridges: [bridge({ url: `mqtt://127.0.0.1:${port}`, cleanSession: false, topics: ['q/# out 1'] })] });
  const hub = await startHub(at(remote.port), { dataDir });
  const first = await remote.connection(0);
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  await publish(local, 'q/0', 'm0', { qos: 1 });
  await first.until('the PUBLISH', (p) => wire(p).length === 1);
  local.end(true);
  await hub.stop();

  other.sessionPresent = true; // says so, but it never had our session
  const again = await startHub(at(other.port), { dataDir });
  t.after(() => again.stop());
  const conn = await other.connection(0);
  await conn.until('the message', (p) => wire(p).length >= 1);
  assert.match(wire(conn.packets)[0]!, /^publish q\/0 \d+ q1$/, 'a new message, DUP 0');
});
