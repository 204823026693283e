import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import type { IDisconnectPacket } from 'mqtt-packet';
import { startTlsHub } from '../helpers/tls.js';
import { connect5, hubFor, portOf, publish5, RawClient, subscribe5, until } from '../helpers/mqtt5.js';

// MQTT 5 over every way in (WebSocket on the web port, TLS), and the bound on QoS 2 messages a client may leave
// waiting for PUBREL (the hub's Receive Maximum).

/** A subscriber and a publisher on `url`: a message with properties goes through and comes back as sent. */
async function roundTrip(t: TestContext, url: string, opts: IClientOptions = {}): Promise<void> {
  const sub = await connect5(t, url, opts);
  assert.equal(sub.connack.reasonCode, 0);
  await subscribe5(sub.client, 'ourhome/transport/#', { qos: 1, properties: { subscriptionIdentifier: 42 } });
  const pub = await connect5(t, url, opts);
  for (const qos of [0, 1, 2] as const) {
    await publish5(pub.client, 'ourhome/transport/x', `m${qos}`, { qos, properties: { userProperties: { via: 'transport' }, correlationData: Buffer.from('c') } });
  }
  await until(() => sub.messages.length === 3, 'three messages');
  assert.deepEqual(sub.messages.map((m) => m.payload.toString()), ['m0', 'm1', 'm2']);
  for (const m of sub.messages) {
    assert.deepEqual({ ...m.properties?.userProperties }, { via: 'transport' });
    assert.deepEqual(m.properties?.correlationData, Buffer.from('c'));
    assert.equal(m.properties?.subscriptionIdentifier, 42);
  }
}

test('MQTT 5 over WebSocket (ws://…/mqtt on the web port): publish, subscribe and properties', async (t) => {
  const hub = await hubFor(t);
  await roundTrip(t, `ws://127.0.0.1:${portOf(hub.httpUrl)}/mqtt`);
});

test('MQTT 5 over TLS: publish, subscribe and properties', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  await roundTrip(t, hub.mqttsUrl, { ca: hub.ca });
});

/** QoS 2 PUBLISH packets 1..n, none released. */
function unreleased(raw: RawClient, n: number): void {
  for (let id = 1; id <= n; id++) {
    raw.send({ cmd: 'publish', topic: 'ourhome/qos2/flood', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false });
  }
}

test('QoS 2 inbound bound, MQTT 5: the message over mqtt.maxInflightInbound awaiting PUBREL gets DISCONNECT 0x93', async (t) => {
  const hub = await hubFor(t, { mqtt: { maxInflightInbound: 5 } as never });
  const bystander = await connect5(t, hub.mqttUrl);
  await subscribe5(bystander.client, 'ourhome/qos2/#', { qos: 2 });
  const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 5);
  assert.equal(connack.properties?.receiveMaximum, 5, 'the bound is advertised');
  const before = hub.hub.broker.counters.inflightInboundExceeded;
  unreleased(raw, 6);
  const disconnect = (await raw.next('disconnect')) as IDisconnectPacket;
  assert.equal(disconnect.reasonCode, 0x93, 'Receive Maximum exceeded [MQTT-3.3.4-9]');
  await raw.closed;
  assert.equal(hub.hub.broker.counters.inflightInboundExceeded, before + 1);
  // The first five were taken (stored, then published); the sixth neither.
  await until(() => bystander.messages.length === 5, 'the five taken messages');
  // Others go on: the bystander is connected and still routed to.
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/qos2/after', 'still here', { qos: 2 });
  await until(() => bystander.messages.some((m) => m.topic === 'ourhome/qos2/after'), 'the bystander\'s message');
  assert.equal(bystander.disconnects.length, 0);
  assert.deepEqual(bystander.messages.map((m) => m.payload.toString()), ['1', '2', '3', '4', '5', 'still here'], 'the refused sixth was not published');
});

test('QoS 2 inbound bound, 3.1.1: the client over mqtt.maxInflightInbound is disconnected; others go on', async (t) => {
  const hub = await hubFor(t, { mqtt: { maxInflightInbound: 5 } as never });
  const bystander = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  await subscribe5(bystander.client, 'ourhome/qos2/#', { qos: 2 });
  const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 4);
  assert.equal(connack.returnCode, 0);
  unreleased(raw, 6);
  await raw.closed;
  assert.equal(raw.packets.some((p) => p.cmd === 'disconnect'), false, '3.1.1 has no server DISCONNECT');
  await until(() => bystander.messages.length === 5, 'the five taken messages');
  const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  await publish5(pub.client, 'ourhome/qos2/after', 'still here', { qos: 2 });
  await until(() => bystander.messages.some((m) => m.topic === 'ourhome/qos2/after'), 'the bystander\'s message');
  assert.deepEqual(bystander.messages.map((m) => m.payload.toString()), ['1', '2', '3', '4', '5', 'still here'], 'the refused sixth was not published');
});

test('QoS 2 inbound bound: releasing (PUBREL) frees the slots; a DUP resend takes no second slot', async (t) => {
  const hub = await hubFor(t, { mqtt: { maxInflightInbound: 5 } as never });
  const { raw } = await RawClient.connect(t, portOf(hub.mqttUrl), 5);
  unreleased(raw, 5);
  // The same five again, as a client resends after a reconnect: DUP, same ids.
  for (let id = 1; id <= 5; id++) raw.send({ cmd: 'publish', topic: 'ourhome/qos2/flood', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: true });
  await until(() => raw.packets.filter((p) => p.cmd === 'pubrec').length === 10, 'ten PUBRECs');
  for (let id = 1; id <= 5; id++) raw.send({ cmd: 'pubrel', messageId: id });
  await until(() => raw.packets.filter((p) => p.cmd === 'pubcomp').length === 5, 'five PUBCOMPs');
  unreleased(raw, 5);
  await until(() => raw.packets.filter((p) => p.cmd === 'pubrec').length === 15, 'five more PUBRECs');
  raw.send({ cmd: 'pingreq' });
  await raw.next('pingresp');
  assert.equal(raw.packets.some((p) => p.cmd === 'disconnect'), false);
});

test('QoS 2 inbound bound: the waiting messages are session state — gone with a session that ends, kept by one resumed', async (t) => {
  const hub = await hubFor(t, { mqtt: { maxInflightInbound: 5 } as never });
  const port = portOf(hub.mqttUrl);
  const pubrecs = (raw: RawClient): number => raw.packets.filter((p) => p.cmd === 'pubrec').length;
  for (const sessionExpiryInterval of [0, 60]) {
    const clientId = `q2-session-${sessionExpiryInterval}`;
    const first = await RawClient.connect(t, port, 5, { clientId, clean: true, properties: { sessionExpiryInterval } });
    unreleased(first.raw, 5);
    await until(() => pubrecs(first.raw) === 5, 'five PUBRECs');
    first.raw.socket.end();
    await first.raw.closed;
    const clients = (hub.hub.broker.aedes as unknown as { clients: Record<string, unknown> }).clients;
    await until(() => clients[clientId] === undefined, 'the first connection gone');
    const back = await RawClient.connect(t, port, 5, { clientId, clean: false, properties: { sessionExpiryInterval } });
    if (sessionExpiryInterval > 0) {
      // Resumed: the five still wait for their PUBREL (session state, [MQTT-4.1.0-1]); releasing them frees the slots.
      for (let id = 1; id <= 5; id++) back.raw.send({ cmd: 'pubrel', messageId: id });
      await until(() => back.raw.packets.filter((p) => p.cmd === 'pubcomp').length === 5, 'five PUBCOMPs');
    }
    // Ended (or released): five new ones fit.
    for (let id = 11; id <= 15; id++) back.raw.send({ cmd: 'publish', topic: 'ourhome/qos2/next', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false });
    await until(() => pubrecs(back.raw) === 5, `five PUBRECs after the reconnect (SEI ${sessionExpiryInterval})`);
    back.raw.send({ cmd: 'pingreq' });
    await back.raw.next('pingresp');
    assert.equal(back.raw.packets.some((p) => p.cmd === 'disconnect'), false, `SEI ${sessionExpiryInterval}`);
  }
});
