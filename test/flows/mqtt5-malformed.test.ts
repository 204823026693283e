import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { adminPassword, connect, end, nextMessage, startHub, subscribe, waitFor, type TestHub } from '../helpers/hub.js';
import { RawV5, hex, type Answer } from '../helpers/mqtt5-raw.js';
import { aedesInternals } from '../../server/mqtt/aedes-internals.js';
import { P, ack5, auth5, connect5, disconnect5, frame, lp, noProps, prop, props, publish5, subscribe5, unsubscribe5 } from '../fuzz/mqtt5-packets.js';

// Malformed MQTT 5 packets, one per connection, each sent by a raw socket after a successful v5 CONNECT as admin,
// and the hub's answer checked against OASIS MQTT 5.0. 4.13.1: on a Malformed Packet or Protocol Error the receiver
// closes the connection; on an error in CONNECT it MAY send a CONNACK with the reason code first, on an error in any
// other packet it SHOULD send a DISCONNECT with it — 0x81 (Malformed Packet), 0x82 (Protocol Error), or a more
// specific one of 3.2.2.2 / 3.14.2.1 (0x94 Topic Alias invalid, 0x95 Packet too large…). Beside each bad client an
// MQTT.js v5 control client, subscribed to every topic the bad packets name, must stay connected, must not receive
// anything the bad packet carried, and must still get a message published after it.

const admin = { username: 'admin', password: adminPassword };
const maxPacketSize = 16_384;

let hub: TestHub;
let port: number;
let control: MqttClient;
let controlDrops = 0;
/** Messages the control client got on the bad clients' topics (bad/…). */
const leaked: Array<{ topic: string; payload: string }> = [];
let seq = 0;

before(async () => {
  hub = await startHub({ mqtt: { maxPacketSize } as never });
  port = Number(new URL(hub.mqttUrl).port);
  control = await connect(hub.mqttUrl, { ...admin, clientId: 'control-v5', protocolVersion: 5 });
  control.on('close', () => controlDrops++);
  await subscribe(control, 'bad/#', 1);
  await subscribe(control, 'ctl/#', 1);
  control.on('message', (topic, payload) => {
    if (topic.startsWith('bad/')) leaked.push({ topic, payload: payload.toString() });
  });
});

after(async () => {
  await end(control);
  await hub.stop();
});

/** The control client still publishes and receives, was never dropped, and nothing of the bad packet reached it. */
async function controlUnaffected(): Promise<void> {
  const topic = `ctl/${++seq}`;
  const got = nextMessage(control, (t) => t === topic);
  control.publish(topic, 'alive', { qos: 1 });
  assert.equal((await got).payload, 'alive', 'the control client still publishes and receives');
  assert.equal(controlDrops, 0, 'the control client was never disconnected');
  assert.deepEqual(leaked, [], 'nothing the bad client sent reached the control client');
  assert.equal(hub.hub.broker.connectedClients, 1, 'only the control client is left');
}

/** Logs in, sends `bad`, returns the hub's answer; closes the raw connection afterwards. */
async function afterLogin(bad: Buffer | ((connack: { topicAliasMaximum?: number }) => Buffer), c = {}): Promise<Answer> {
  const { raw, connack } = await RawV5.login(port, admin, c);
  try {
    const bytes = typeof bad === 'function' ? bad(connack.properties ?? {}) : bad;
    return await raw.answer(bytes);
  } finally {
    await raw.destroy();
    await waitFor(() => hub.hub.broker.connectedClients === 1, 5000, 'the bad client gone');
  }
}

/** The spec's DISCONNECT, then the connection closed. */
function disconnectedWith(answer: Answer, code: number, why: string): void {
  assert.equal(hex(answer.disconnect), hex(code), `${why}: DISCONNECT ${hex(code)} expected, got ${JSON.stringify(answer)}`);
  assert.ok(answer.closed, `${why}: connection closed`);
}

const badPublish = (properties: Buffer, topic = 'bad/topic'): Buffer => publish5({ topic, qos: 1, id: 7, props: properties, payload: 'bad' });

test('two Payload Format Indicators in one PUBLISH: DISCONNECT 0x82, not forwarded', async () => {
  const counted = hub.hub.broker.counters.malformedPackets;
  // 3.3.2.3.2: "It is a Protocol Error to include the Payload Format Indicator more than once."
  disconnectedWith(await afterLogin(badPublish(props(prop(P.payloadFormatIndicator, 1), prop(P.payloadFormatIndicator, 1)))), 0x82, 'duplicate PFI');
  // mqtt-packet keeps a property it sees twice as an array, unless the first value is falsy (0 here), when the
  // second silently replaces it: the duplicate is found on the wire bytes, not on what mqtt-packet made of them.
  disconnectedWith(await afterLogin(badPublish(props(prop(P.payloadFormatIndicator, 0), prop(P.payloadFormatIndicator, 1)))), 0x82, 'duplicate PFI 0, 1');
  disconnectedWith(await afterLogin(badPublish(props(prop(P.contentType, 'a'), prop(P.contentType, 'b')))), 0x82, 'duplicate Content Type');
  assert.equal(hub.hub.broker.counters.malformedPackets - counted, 3, 'each counted');
  await controlUnaffected();
});

test('Session Expiry Interval in a PUBLISH: DISCONNECT 0x81', async () => {
  // 2.2.2.2: "A Control Packet which contains an Identifier which is not valid for its packet type ... is a
  // Malformed Packet" (table 2-4: Session Expiry Interval is for CONNECT, CONNACK, DISCONNECT).
  disconnectedWith(await afterLogin(badPublish(props(prop(P.sessionExpiryInterval, 60)))), 0x81, 'SEI in PUBLISH');
  // A server-only property from a client, and a Subscription Identifier in a client's PUBLISH [MQTT-3.3.4-6].
  disconnectedWith(await afterLogin(badPublish(props(prop(P.assignedClientIdentifier, 'x')))), 0x81, 'Assigned Client Identifier in PUBLISH');
  disconnectedWith(await afterLogin(badPublish(props(prop(P.subscriptionIdentifier, 5)))), 0x82, 'Subscription Identifier in a client PUBLISH');
  await controlUnaffected();
});

test('Topic Alias 0 and above the CONNACK\'s Topic Alias Maximum: DISCONNECT 0x94', async () => {
  // 3.3.2.3.4 [MQTT-3.3.2-8], [MQTT-3.3.2-9]: outside 1..Topic Alias Maximum, DISCONNECT 0x94 (Topic Alias invalid).
  disconnectedWith(await afterLogin(badPublish(props(prop(P.topicAlias, 0)))), 0x94, 'topic alias 0');
  let advertised = 0;
  disconnectedWith(await afterLogin((connack) => {
    advertised = connack.topicAliasMaximum ?? 0;
    return badPublish(props(prop(P.topicAlias, advertised + 1)));
  }), 0x94, 'topic alias above the maximum');
  assert.ok(advertised > 0, 'the CONNACK advertised a Topic Alias Maximum');
  // An alias never set, with an empty topic: the same code.
  disconnectedWith(await afterLogin(badPublish(props(prop(P.topicAlias, 3)), '')), 0x94, 'unknown topic alias');
  await controlUnaffected();
});

test('Receive Maximum 0 in CONNECT: CONNACK 0x82', async () => {
  // 3.1.2.11.3: "It is a Protocol Error to include the Receive Maximum value more than once or for it to have the value 0."
  const { raw, connack } = await RawV5.open(port, connect5({ clientId: 'rm0', ...admin, props: props(prop(P.receiveMaximum, 0)) }));
  assert.equal(hex(connack?.reasonCode), hex(0x82));
  await waitFor(() => raw.closed, 3000, 'closed after the CONNACK');
  // A property twice in CONNECT (3.1.2.11): CONNACK 0x82. Session Expiry Interval twice used to reach aedes as an
  // array, NaN seconds at close, and armLongTimer threw out of the socket's close handler.
  const twice = await RawV5.open(port, connect5({ clientId: 'sei2', ...admin, props: props(prop(P.sessionExpiryInterval, 30), prop(P.sessionExpiryInterval, 60)) }));
  assert.equal(hex(twice.connack?.reasonCode), hex(0x82));
  await waitFor(() => twice.raw.closed, 3000, 'closed after the CONNACK');
  // A PUBLISH-only property in CONNECT (2.2.2.2): CONNACK 0x81.
  const foreign = await RawV5.open(port, connect5({ clientId: 'tac', ...admin, props: props(prop(P.topicAlias, 1)) }));
  assert.equal(hex(foreign.connack?.reasonCode), hex(0x81));
  await waitFor(() => foreign.raw.closed, 3000, 'closed after the CONNACK');
  // Will properties are checked as PUBLISH-like properties of the will (3.1.3.2): a Topic Alias there is malformed.
  const will = await RawV5.open(port, connect5({ clientId: 'willp', ...admin, will: { topic: 'bad/will', payload: Buffer.from('w'), props: props(prop(P.topicAlias, 1)) } }));
  assert.equal(hex(will.connack?.reasonCode), hex(0x81));
  await waitFor(() => will.raw.closed, 3000, 'closed after the CONNACK');
  await controlUnaffected();
});

test('ill-formed UTF-8 in a User Property: DISCONNECT 0x81', async () => {
  // 1.5.4 [MQTT-1.5.4-1]: ill-formed UTF-8 makes a Malformed Packet; 1.5.7: both strings of a pair are UTF-8 strings.
  disconnectedWith(await afterLogin(badPublish(props(prop(P.userProperty, [Buffer.from([0xc3, 0x28]), 'v'])))), 0x81, 'bad UTF-8 name');
  disconnectedWith(await afterLogin(badPublish(props(prop(P.userProperty, ['k', Buffer.from([0xed, 0xa0, 0x80])])))), 0x81, 'UTF-16 surrogate value');
  // [MQTT-1.5.4-2]: U+0000 in a UTF-8 string.
  disconnectedWith(await afterLogin(badPublish(props(prop(P.contentType, 'a\u0000b')))), 0x81, 'U+0000 in Content Type');
  // In a SUBSCRIBE's User Property too.
  disconnectedWith(await afterLogin(subscribe5(3, props(prop(P.userProperty, ['k', Buffer.from([0xff])])), [['bad/#', 1]])), 0x81, 'bad UTF-8 in SUBSCRIBE');
  await controlUnaffected();
});

test('Subscription Identifier 0 in SUBSCRIBE: DISCONNECT 0x82', async () => {
  // 3.8.2.1.2: "It is a Protocol Error if the Subscription Identifier has a value of 0."
  disconnectedWith(await afterLogin(subscribe5(3, props(prop(P.subscriptionIdentifier, 0)), [['bad/#', 1]])), 0x82, 'SI 0');
  // ... "or to include it more than once".
  disconnectedWith(await afterLogin(subscribe5(3, props(prop(P.subscriptionIdentifier, 4), prop(P.subscriptionIdentifier, 5)), [['bad/#', 1]])), 0x82, 'SI twice');
  // UNSUBSCRIBE takes User Properties only (3.10.2.1).
  disconnectedWith(await afterLogin(unsubscribe5(3, props(prop(P.subscriptionIdentifier, 4)), ['bad/#'])), 0x81, 'SI in UNSUBSCRIBE');
  await controlUnaffected();
});

test('a packet over mqtt.maxPacketSize: DISCONNECT 0x95', async () => {
  // 3.1.2.11.4 / 3.2.2.3.6: the server's Maximum Packet Size, advertised in the CONNACK; over it, DISCONNECT 0x95.
  disconnectedWith(await afterLogin(publish5({ topic: 'bad/big', qos: 0, payload: Buffer.alloc(maxPacketSize + 1, 0x61) })), 0x95, 'oversize PUBLISH');
  // Only the fixed header of one announcing more: refused before the body is read.
  disconnectedWith(await afterLogin(Buffer.from([0x30, 0xff, 0xff, 0x7f])), 0x95, 'oversize announced');
  await controlUnaffected();
});

test('a second CONNECT: DISCONNECT 0x82', async () => {
  // [MQTT-3.1.0-2]: "The Server MUST process a second CONNECT packet sent from a Client as a Protocol Error and
  // close the Network Connection"; 4.13.1: with a DISCONNECT 0x82 first.
  disconnectedWith(await afterLogin(connect5({ clientId: 'second', ...admin })), 0x82, 'second CONNECT');
  await controlUnaffected();
});

test('enhanced authentication is not supported: CONNACK 0x8C, and AUTH without it: DISCONNECT 0x82', async () => {
  // 4.12: a server that does not support the Authentication Method "MAY send a CONNACK with a Reason Code of 0x8C
  // (Bad authentication method)" and MUST close the connection.
  const { raw, connack } = await RawV5.open(port, connect5({ clientId: 'scram', ...admin, props: props(prop(P.authenticationMethod, 'SCRAM-SHA-256'), prop(P.authenticationData, Buffer.from('n,,n=admin'))) }));
  assert.equal(hex(connack?.reasonCode), hex(0x8c));
  await waitFor(() => raw.closed, 3000, 'closed after the CONNACK');
  // 4.12 [MQTT-4.12.0-?]: a client whose CONNECT had no Authentication Method must not send AUTH; it is a Protocol
  // Error (3.15.2.1 lists AUTH reason codes for an exchange that was never started).
  disconnectedWith(await afterLogin(auth5(0x19, props(prop(P.authenticationMethod, 'SCRAM-SHA-256')))), 0x82, 'AUTH after a plain CONNECT');
  await controlUnaffected();
});

test('a PUBLISH with an empty topic and no Topic Alias: DISCONNECT 0x82', async () => {
  // 3.3.2.1: "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias."
  disconnectedWith(await afterLogin(publish5({ topic: '', qos: 0, payload: 'x' })), 0x82, 'empty topic QoS 0');
  disconnectedWith(await afterLogin(publish5({ topic: '', qos: 1, id: 9, payload: 'x' })), 0x82, 'empty topic QoS 1');
  await controlUnaffected();
});

test('broken property blocks: DISCONNECT 0x81', async () => {
  // 2.2.2: the Property Length counts the bytes of the properties; one that runs past the packet, an identifier 0 or
  // unknown, a value cut short are Malformed Packets.
  const body = (b: Buffer): Buffer => frame(3, 2, Buffer.concat([lp('bad/x'), Buffer.from([0, 9]), b, Buffer.from('p')]));
  disconnectedWith(await afterLogin(body(Buffer.from([40, P.payloadFormatIndicator, 1]))), 0x81, 'Property Length past the packet');
  disconnectedWith(await afterLogin(body(Buffer.from([2, 0x00, 1]))), 0x81, 'identifier 0');
  disconnectedWith(await afterLogin(body(Buffer.from([2, 0x04, 1]))), 0x81, 'unknown identifier 0x04');
  disconnectedWith(await afterLogin(body(Buffer.from([3, P.contentType, 0, 9]))), 0x81, 'string cut short');
  disconnectedWith(await afterLogin(body(Buffer.from([2, P.payloadFormatIndicator, 7]))), 0x82, 'PFI neither 0 nor 1');
  // On acknowledgements and DISCONNECT too.
  disconnectedWith(await afterLogin(ack5(4, 1, 0, props(prop(P.reasonString, 'a'), prop(P.reasonString, 'b')))), 0x82, 'Reason String twice in PUBACK');
  disconnectedWith(await afterLogin(ack5(6, 1, 0, props(prop(P.topicAlias, 1)))), 0x81, 'Topic Alias in PUBREL');
  await controlUnaffected();
});

test('Session Expiry Interval twice in DISCONNECT: DISCONNECT 0x82, and the hub goes on', async () => {
  // 3.14.2.2.2: "It is a Protocol Error to include the Session Expiry Interval more than once." aedes took the two
  // values as an array, NaN seconds, and its session-expiry timer threw out of the close handler: the process ended.
  disconnectedWith(await afterLogin(disconnect5(0, props(prop(P.sessionExpiryInterval, 5), prop(P.sessionExpiryInterval, 6)))), 0x82, 'SEI twice in DISCONNECT');
  await controlUnaffected();
});

test('valid v5 packets with properties still pass, and a DISCONNECT with bad properties only closes', async () => {
  const { raw } = await RawV5.login(port, admin, { props: props(prop(P.sessionExpiryInterval, 0), prop(P.receiveMaximum, 10), prop(P.userProperty, ['a', 'b']), prop(P.userProperty, ['a', 'c'])) });
  try {
    const got = nextMessage(control, (t) => t === 'bad/ok');
    raw.send(publish5({ topic: 'bad/ok', qos: 1, id: 5, props: props(prop(P.payloadFormatIndicator, 1), prop(P.contentType, 'text/plain'), prop(P.userProperty, ['k', 'v']), prop(P.userProperty, ['k', 'w']), prop(P.topicAlias, 2)), payload: 'fine' }));
    assert.equal((await got).payload, 'fine');
    const ack = await raw.next('puback');
    assert.equal((ack as { reasonCode?: number }).reasonCode ?? 0, 0);
    // The alias now names bad/ok.
    const again = nextMessage(control, (t) => t === 'bad/ok');
    raw.send(publish5({ topic: '', qos: 0, props: props(prop(P.topicAlias, 2)), payload: 'aliased' }));
    assert.equal((await again).payload, 'aliased');
    leaked.length = 0;
    const from = raw.received.length;
    raw.send(subscribe5(4, props(prop(P.subscriptionIdentifier, 9), prop(P.userProperty, ['x', 'y'])), [['ctl/none', 1]]));
    assert.ok(await raw.next('suback', 3000, from));
    raw.send(unsubscribe5(5, props(prop(P.userProperty, ['x', 'y'])), ['ctl/none']));
    assert.ok(await raw.next('unsuback', 3000, from));
    const answer = await raw.answer(disconnect5(0, props(prop(P.reasonString, 'bye'), prop(P.reasonString, 'twice'))));
    assert.ok(answer.closed, 'closed');
  } finally {
    await raw.destroy();
  }
  await waitFor(() => hub.hub.broker.connectedClients === 1, 5000, 'the client gone');
  await controlUnaffected();
  assert.equal(noProps.length, 1);
});

test('short forms the spec allows pass: DISCONNECT and acknowledgements without Property Length, wills kept or not as asked', async () => {
  // 3.14.2.2: "The Reason Code and Property Length can be omitted if the Reason Code is 0x00 ... Remaining Length of
  // 0"; the Property Length alone can be omitted too (Remaining Length 1). A normal DISCONNECT discards the will
  // [MQTT-3.1.2-10]; 0x04 asks for it.
  const forms: Array<[string, Buffer, boolean]> = [
    ['Remaining Length 0', Buffer.from([0xe0, 0x00]), false],
    ['reason code only', Buffer.from([0xe0, 0x01, 0x00]), false],
    ['reason and empty properties', Buffer.from([0xe0, 0x02, 0x00, 0x00]), false],
    ['0x04, with will, reason code only', Buffer.from([0xe0, 0x01, 0x04]), true],
  ];
  for (const [name, bytes, willExpected] of forms) {
    const topic = `ctl/will/${++seq}`;
    const { raw } = await RawV5.login(port, admin, { will: { topic, payload: Buffer.from('gone') } });
    const wills: string[] = [];
    const onWill = (t: string): void => {
      if (t === topic) wills.push(t);
    };
    control.on('message', onWill);
    try {
      // An acknowledgement of nothing, in its short forms: ignored (3.4.2.1: Remaining Length 2 means 0x00, no properties).
      raw.send(Buffer.from([0x40, 0x02, 0x00, 0x01]));
      raw.send(Buffer.from([0x40, 0x03, 0x00, 0x02, 0x00]));
      const answer = await raw.answer(bytes);
      assert.equal(answer.disconnect, undefined, `${name}: no DISCONNECT from the hub (${JSON.stringify(answer)})`);
      assert.ok(answer.closed, `${name}: closed`);
      await waitFor(() => hub.hub.broker.connectedClients === 1, 5000, 'the client gone');
      if (willExpected) await waitFor(() => wills.length === 1, 3000, `${name}: the will`);
      else {
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(wills, [], `${name}: no will after a normal DISCONNECT`);
      }
    } finally {
      control.off('message', onWill);
      await raw.destroy();
    }
  }
  await controlUnaffected();
});

test('a client that leaves during its CONNECT, while its will is stored, is not left registered', async () => {
  // Found by the MQTT 5 fuzz: aedes registered such a client after its close had run (late-registration.ts).
  const persistence = aedesInternals(hub.hub.broker.aedes).persistence as unknown as { putWill: (...args: unknown[]) => Promise<unknown> };
  const putWill = persistence.putWill;
  let storing: () => void = () => {};
  const stored = new Promise<void>((resolve) => (storing = resolve));
  persistence.putWill = function (this: unknown, ...args: unknown[]) {
    persistence.putWill = putWill;
    storing();
    return new Promise((resolve) => setTimeout(resolve, 300)).then(() => putWill.apply(this, args));
  };
  try {
    const { raw } = await RawV5.open(port, connect5({ clientId: 'leaves-early', ...admin, will: { topic: 'ctl/will/early', payload: Buffer.from('w') } }), { waitForConnack: false });
    await stored;
    raw.socket.resetAndDestroy();
    await waitFor(() => raw.closed, 3000, 'reset');
  } finally {
    persistence.putWill = putWill;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  await waitFor(() => hub.hub.broker.connectedClients === 1, 5000, 'only the control client registered').catch((err: Error) => {
    throw new Error(`${err.message}: ${Object.keys(aedesInternals(hub.hub.broker.aedes).clients).join(', ')}`);
  });
  await controlUnaffected();
});
