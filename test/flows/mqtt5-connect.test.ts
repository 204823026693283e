import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket } from 'mqtt-packet';
import { deviceAccount } from '../helpers/hub.js';
import { connect5, hubFor, portOf, publish5, RawClient, refusal, subscribe5, until } from '../helpers/mqtt5.js';

// CONNECT and CONNACK as MQTT 5 clients (Home Assistant, Node-RED, Zigbee2MQTT) see them, the 3.1.1 conformance
// the move to aedes 2.0.0-beta.1 must keep, and client ids and topics that name Object.prototype members.

test('MQTT 5 CONNACK: Success, with the hub\'s limits as properties', async (t) => {
  const hub = await hubFor(t, { mqtt: { topicAliasMaximum: 7, maxInflightInbound: 17, maxPacketSize: 65_536 } as never });
  const { connack } = await connect5(t, hub.mqttUrl, { clientId: 'ha-like', keepalive: 60 });
  assert.equal(connack.reasonCode, 0);
  assert.equal(connack.sessionPresent, false);
  assert.equal(connack.properties?.topicAliasMaximum, 7, 'mqtt.topicAliasMaximum');
  assert.equal(connack.properties?.maximumPacketSize, 65_536, 'mqtt.maxPacketSize');
  assert.equal(connack.properties?.receiveMaximum, 17, 'mqtt.maxInflightInbound');
  assert.equal(connack.properties?.serverKeepAlive, undefined, 'keepalive 60 is within the limit: not overridden');
  assert.equal(connack.properties?.assignedClientIdentifier, undefined, 'the client chose its id');
  assert.equal(connack.properties?.sessionExpiryInterval, undefined, 'nothing clamped');
});

test('MQTT 5 CONNACK refusals carry v5 reason codes: bad password 0x86, anonymous 0x87', async (t) => {
  const hub = await hubFor(t);
  assert.equal(await refusal(hub.mqttUrl, { username: 'admin', password: 'wrong' }), 0x86, 'Bad User Name or Password (Home Assistant starts reauth on it)');
  assert.equal(await refusal(hub.mqttUrl, { username: undefined, password: undefined }), 0x87, 'Not authorized: anonymous clients are not allowed');
  // The hub still takes good logins after refusing.
  const ok = await connect5(t, hub.mqttUrl);
  assert.equal(ok.connack.reasonCode, 0);
});

test('MQTT 5 Server Keep Alive: keepalive 0 or above mqtt.keepaliveLimit is told the limit', async (t) => {
  const hub = await hubFor(t, { mqtt: { keepaliveLimit: 30 } as never });
  const none = await connect5(t, hub.mqttUrl, { keepalive: 0 });
  assert.equal(none.connack.properties?.serverKeepAlive, 30);
  const above = await connect5(t, hub.mqttUrl, { keepalive: 120 });
  assert.equal(above.connack.properties?.serverKeepAlive, 30);
  const within = await connect5(t, hub.mqttUrl, { keepalive: 10 });
  assert.equal(within.connack.properties?.serverKeepAlive, undefined);
});

test('MQTT 5: an empty client id gets an Assigned Client Identifier it can be reached by', async (t) => {
  const hub = await hubFor(t);
  const { client, connack } = await connect5(t, hub.mqttUrl, { clientId: '' });
  const assigned = connack.properties?.assignedClientIdentifier;
  assert.equal(typeof assigned, 'string');
  assert.ok(assigned!.length > 0);
  const other = await connect5(t, hub.mqttUrl, { clientId: '' });
  assert.notEqual(other.connack.properties?.assignedClientIdentifier, assigned, 'each client gets its own');
  // The assigned identity is a working connection.
  await subscribe5(client, 'ourhome/assigned/x');
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/assigned/x', 'hi');
  const got = await new Promise<string>((r) => client.once('message', (_t, p) => r(p.toString())));
  assert.equal(got, 'hi');
});

test('MQTT 5 Session Expiry Interval above mqtt.maxSessionExpiry is lowered and the CONNACK says so', async (t) => {
  const hub = await hubFor(t, { mqtt: { maxSessionExpiry: 100 } as never });
  const clamped = await connect5(t, hub.mqttUrl, { clientId: 'long-session', clean: true, properties: { sessionExpiryInterval: 1000 } });
  assert.equal(clamped.connack.properties?.sessionExpiryInterval, 100);
  const fits = await connect5(t, hub.mqttUrl, { clientId: 'short-session', clean: true, properties: { sessionExpiryInterval: 50 } });
  assert.equal(fits.connack.properties?.sessionExpiryInterval, undefined, 'granted as asked: not echoed');
});

test('MQTT 5 Receive Maximum 0 in CONNECT is a Protocol Error: CONNACK 0x82', async (t) => {
  const hub = await hubFor(t);
  const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 5, { properties: { receiveMaximum: 0 } });
  assert.equal(connack.reasonCode, 0x82);
  await raw.closed;
});

test('MQTT 3.1.1: a zero-length client id with clean session 0 is refused with return code 2', async (t) => {
  const hub = await hubFor(t);
  const raw = await RawClient.open(t, portOf(hub.mqttUrl), 4);
  // mqtt-packet will not generate it: CONNECT, "MQTT" level 4, no flags (clean session 0), keepalive 60, client id "".
  raw.sendBytes(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00]));
  const connack = (await raw.next('connack')) as IConnackPacket;
  assert.equal(connack.returnCode, 2, 'Identifier rejected [MQTT-3.1.3-8]');
  await raw.closed;
  const fine = await RawClient.connect(t, portOf(hub.mqttUrl), 4, { clientId: '', clean: true });
  assert.equal(fine.connack.returnCode, 0, 'with clean session 1 it is accepted [MQTT-3.1.3-6]');
});

test('MQTT 3.1.1: keepalive 0 or above mqtt.keepaliveLimit is accepted (not CONNACK 6)', async (t) => {
  const hub = await hubFor(t, { mqtt: { keepaliveLimit: 30 } as never });
  for (const keepalive of [0, 120, 65_535]) {
    const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 4, { keepalive });
    assert.equal(connack.returnCode, 0, `keepalive ${keepalive}`);
    raw.send({ cmd: 'pingreq' });
    await raw.next('pingresp');
  }
});

for (const protocolVersion of [4, 5] as const) test(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: a silent client with keepalive 0 is held to mqtt.keepaliveLimit: disconnected, its will published`, async (t) => {
  const hub = await hubFor(t, { mqtt: { keepaliveLimit: 1 } as never });
  const watcher = await connect5(t, hub.mqttUrl, { keepalive: 1 });
  // The watcher itself must keep talking: MQTT.js pings at its keepalive.
  await subscribe5(watcher.client, 'ourhome/lost/+/status');
  const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), protocolVersion, {
    clientId: 'silent-sensor',
    keepalive: 0,
    will: { topic: 'ourhome/lost/sensor/status', payload: Buffer.from('offline'), qos: 1, retain: false },
  });
  assert.equal(connack.returnCode ?? connack.reasonCode, 0);
  // MQTT 5 is told (Server Keep Alive); 3.1.1 cannot be.
  if (protocolVersion === 5) assert.equal(connack.properties?.serverKeepAlive, 1);
  // It never sends anything again: the hub ends it (no deadline asserted, only that it happens).
  await raw.closed;
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/lost/sensor/status'), 'the will');
  assert.equal(watcher.messages.find((m) => m.topic === 'ourhome/lost/sensor/status')!.payload.toString(), 'offline');
});

/** GHSA-52qw-whmv-87c5: ids and topics that are Object.prototype member names are ordinary names. */
for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: client ids __proto__, constructor, toString and topics __proto__, constructor work`, async (t) => {
    const hub = await hubFor(t);
    const clients = [];
    for (const clientId of ['__proto__', 'constructor', 'toString']) {
      const c = await connect5(t, hub.mqttUrl, { clientId, protocolVersion });
      assert.equal(c.connack.reasonCode ?? c.connack.returnCode, 0, clientId);
      clients.push(c);
    }
    const [proto, ctor] = clients;
    assert.deepEqual(await subscribe5(proto.client, ['__proto__', 'constructor']), [1, 1]);
    assert.deepEqual(await subscribe5(ctor.client, '__proto__'), [1]);
    const pub = await connect5(t, hub.mqttUrl, { clientId: 'toString-publisher', protocolVersion });
    await publish5(pub.client, '__proto__', 'p');
    await publish5(pub.client, 'constructor', 'c');
    await until(() => proto.messages.length === 2 && ctor.messages.length === 1, 'both topics delivered');
    assert.deepEqual(proto.messages.map((m) => `${m.topic}=${m.payload}`).sort(), ['__proto__=p', 'constructor=c']);
    assert.deepEqual(ctor.messages.map((m) => `${m.topic}=${m.payload}`), ['__proto__=p']);
    // Taking over an id named like a prototype member replaces that client (and nothing else).
    const again = await connect5(t, hub.mqttUrl, { clientId: '__proto__', protocolVersion });
    await proto.closed;
    assert.equal(clients[1].client.connected && clients[2].client.connected, true);
    await subscribe5(again.client, 'constructor');
    await publish5(pub.client, 'constructor', 'c2');
    await until(() => again.messages.length === 1, 'delivery to the new __proto__ client');
    assert.equal(hub.hub.broker.connectedClients, 4);
  });
}

test('MQTT 5 topic alias client→hub: set with a topic, then reused with an empty topic', async (t) => {
  const hub = await hubFor(t, { mqtt: { topicAliasMaximum: 4 } as never });
  const sub = await connect5(t, hub.mqttUrl);
  await subscribe5(sub.client, 'ourhome/alias/#');
  const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 5);
  assert.equal(connack.properties?.topicAliasMaximum, 4);
  raw.send({ cmd: 'publish', topic: 'ourhome/alias/lamp', payload: Buffer.from('first'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
  raw.send({ cmd: 'publish', topic: '', payload: Buffer.from('second'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
  await until(() => sub.messages.length === 2, 'both messages');
  assert.deepEqual(sub.messages.map((m) => [m.topic, m.payload.toString()]), [['ourhome/alias/lamp', 'first'], ['ourhome/alias/lamp', 'second']]);
  for (const m of sub.messages) assert.equal(m.properties?.topicAlias, undefined, 'the alias is the publisher\'s, not forwarded');
});

for (const [what, alias] of [['0', 0], ['above the maximum', 5]] as const) {
  test(`MQTT 5 topic alias ${what}: DISCONNECT 0x94 for that client only`, async (t) => {
    const hub = await hubFor(t, { mqtt: { topicAliasMaximum: 4 } as never });
    const bystander = await connect5(t, hub.mqttUrl);
    await subscribe5(bystander.client, 'ourhome/alias/#');
    const { raw } = await RawClient.connect(t, portOf(hub.mqttUrl), 5);
    raw.send({ cmd: 'publish', topic: 'ourhome/alias/bad', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } });
    const disconnect = (await raw.next('disconnect')) as IDisconnectPacket;
    assert.equal(disconnect.reasonCode, 0x94, 'Topic Alias invalid');
    await raw.closed;
    // The bystander is untouched and still routed to.
    const pub = await connect5(t, hub.mqttUrl);
    await publish5(pub.client, 'ourhome/alias/good', 'ok');
    await until(() => bystander.messages.some((m) => m.topic === 'ourhome/alias/good'), 'the bystander\'s message');
    assert.equal(bystander.disconnects.length, 0);
    assert.ok(!bystander.messages.some((m: IPublishPacket) => m.topic === 'ourhome/alias/bad'), 'the bad publish was not routed');
  });
}

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: one SUBSCRIBE and one UNSUBSCRIBE naming __proto__ among other filters are answered in order`, async (t) => {
    const hub = await hubFor(t);
    const c = await connect5(t, hub.mqttUrl, { protocolVersion, ...(await deviceAccount(hub)) });
    // A filter the device ACL denies in the middle: the SUBACK codes follow the SUBSCRIBE's order [MQTT-3.9.3-1].
    assert.deepEqual(await subscribe5(c.client, ['__proto__', 'ourhome/#', 'constructor', 'hasOwnProperty', 'ourhome/proto/end'], { qos: 1 }), [1, protocolVersion === 5 ? 0x87 : 0x80, 1, 1, 1]);
    await new Promise<void>((resolve, reject) => c.client.unsubscribe(['__proto__', 'constructor'], {}, (err) => (err ? reject(err) : resolve())));
    const pub = await connect5(t, hub.mqttUrl, { protocolVersion });
    for (const topic of ['__proto__', 'constructor', 'hasOwnProperty']) await publish5(pub.client, topic, topic);
    await publish5(pub.client, 'ourhome/proto/end', 'end');
    await until(() => c.messages.some((m) => m.topic === 'ourhome/proto/end'), 'the end marker');
    assert.deepEqual(c.messages.map((m) => m.topic), ['hasOwnProperty', 'ourhome/proto/end']);
  });
}
