import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket } from 'mqtt-packet';
import { topicMatches } from '../../server/mqtt/topics.js';
import { deviceAccount } from '../helpers/hub.js';
import { connect5, flush, hubFor, publish5, subscribe5, until } from '../helpers/mqtt5.js';

// Subscriptions as MQTT 5 clients use them: Subscription Identifiers the way Home Assistant and Node-RED route by
// them, overlapping subscriptions, subscribe options (No Local, Retain As Published, Retain Handling) and the device
// ACL's answers to MQTT 5 clients.

/** The Subscription Identifiers of one PUBLISH, as a list (mqtt-packet gives a number, or an array when repeated). */
function identifiers(packet: IPublishPacket): number[] {
  const si = packet.properties?.subscriptionIdentifier as number | number[] | undefined;
  return si === undefined ? [] : Array.isArray(si) ? si : [si];
}

for (const qos of [0, 1, 2] as const) {
  test(`Home Assistant style Subscription Identifiers (QoS ${qos}): a message matching a plain and two wildcard subscriptions reaches each`, async (t) => {
    const hub = await hubFor(t);
    const ha = await connect5(t, hub.mqttUrl, { clientId: 'homeassistant' });
    // HA: every plain topic with SI 1, each wildcard with its own SI.
    const subscriptions = [
      { filter: 'ourhome/kitchen/light/state', si: 1 },
      { filter: 'ourhome/kitchen/switch/state', si: 1 },
      { filter: 'ourhome/+/light/state', si: 2 },
      { filter: 'ourhome/kitchen/#', si: 3 },
    ];
    await subscribe5(ha.client, ['ourhome/kitchen/light/state', 'ourhome/kitchen/switch/state'], { qos: 1, properties: { subscriptionIdentifier: 1 } });
    await subscribe5(ha.client, 'ourhome/+/light/state', { qos: 1, properties: { subscriptionIdentifier: 2 } });
    await subscribe5(ha.client, 'ourhome/kitchen/#', { qos: 1, properties: { subscriptionIdentifier: 3 } });
    // HA's dispatcher (mqtt/client.py): a message goes to each subscription whose filter matches and whose SI it carries.
    const delivered = new Map<string, string[]>(subscriptions.map((s) => [s.filter, []]));
    ha.client.on('message', (topic, payload, packet) => {
      if (payload.toString().startsWith('marker-')) return;
      const ids = identifiers(packet);
      for (const s of subscriptions) if (topicMatches(s.filter, topic) && ids.includes(s.si)) delivered.get(s.filter)!.push(payload.toString());
    });
    const pub = await connect5(t, hub.mqttUrl);
    await publish5(pub.client, 'ourhome/kitchen/light/state', 'ON', { qos });
    await flush(pub.client, ha, 'ourhome/kitchen/end');
    assert.deepEqual(Object.fromEntries(delivered), {
      'ourhome/kitchen/light/state': ['ON'],
      'ourhome/kitchen/switch/state': [],
      'ourhome/+/light/state': ['ON'],
      'ourhome/kitchen/#': ['ON'],
    });
    const copies = ha.messages.filter((m) => m.topic === 'ourhome/kitchen/light/state');
    assert.deepEqual(copies.map((m) => identifiers(m)).sort(), [[1], [2], [3]], 'one copy per matching subscription, each with its own SI [MQTT-3.3.4-5]');
    for (const m of copies) assert.equal(m.payload.toString(), 'ON');
  });
}

test('Node-RED style: each node has its own SI and drops messages whose SI !== its own; both nodes get the message', async (t) => {
  const hub = await hubFor(t);
  const nr = await connect5(t, hub.mqttUrl, { clientId: 'nodered' });
  const nodes = [
    { filter: 'ourhome/#', si: 10, got: [] as string[] },
    { filter: 'ourhome/garden/+/temperature', si: 11, got: [] as string[] },
  ];
  for (const node of nodes) await subscribe5(nr.client, node.filter, { qos: 1, properties: { subscriptionIdentifier: node.si } });
  nr.client.on('message', (topic, payload, packet) => {
    for (const node of nodes) {
      // 10-mqtt.js: `if (packet.properties.subscriptionIdentifier !== node.subscriptionIdentifier) return` per node.
      if (packet.properties?.subscriptionIdentifier !== node.si) continue;
      if (topicMatches(node.filter, topic)) node.got.push(payload.toString());
    }
  });
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/garden/pond/temperature', '14.5', { qos: 1 });
  await publish5(pub.client, 'ourhome/garden/pond/temperature', '14.6', { qos: 0 });
  await flush(pub.client, nr, 'ourhome/end');
  assert.deepEqual(nodes[1]!.got, ['14.5', '14.6']);
  assert.deepEqual(nodes[0]!.got.filter((p) => !p.startsWith('marker-')), ['14.5', '14.6']);
});

test('overlapping subscriptions without SIs: one copy for a 3.1.1 client and for an MQTT 5 client', async (t) => {
  const hub = await hubFor(t);
  const v4 = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  const v5 = await connect5(t, hub.mqttUrl);
  for (const c of [v4, v5]) {
    await subscribe5(c.client, 'ourhome/#', { qos: 1 });
    await subscribe5(c.client, 'ourhome/+/hall/light', { qos: 0 });
    await subscribe5(c.client, 'ourhome/groundfloor/hall/light', { qos: 1 });
  }
  const pub = await connect5(t, hub.mqttUrl);
  for (const qos of [0, 1, 2] as const) await publish5(pub.client, 'ourhome/groundfloor/hall/light', `q${qos}`, { qos });
  await flush(pub.client, v4, 'ourhome/end');
  await flush(pub.client, v5, 'ourhome/end');
  for (const c of [v4, v5]) {
    assert.deepEqual(c.messages.filter((m) => m.topic.endsWith('/light')).map((m) => m.payload.toString()), ['q0', 'q1', 'q2']);
  }
});

test('No Local: a client does not get its own messages back on a No Local subscription; others still do', async (t) => {
  const hub = await hubFor(t);
  const self = await connect5(t, hub.mqttUrl);
  const other = await connect5(t, hub.mqttUrl);
  await subscribe5(self.client, 'ourhome/nl/#', { qos: 1, nl: true });
  await subscribe5(other.client, 'ourhome/nl/#', { qos: 1 });
  for (const qos of [0, 1, 2] as const) await publish5(self.client, 'ourhome/nl/mine', `own${qos}`, { qos });
  await publish5(other.client, 'ourhome/nl/theirs', 'foreign');
  await flush(other.client, self, 'ourhome/nl/end');
  assert.deepEqual(self.messages.filter((m) => !m.topic.endsWith('/end')).map((m) => m.payload.toString()), ['foreign'], '[MQTT-3.8.3-3]');
  await until(() => ['own0', 'own1', 'own2'].every((p) => other.messages.some((m) => m.payload.toString() === p)), 'the other client gets them');
});

test('Retain As Published: the retain flag of a live message is kept only for rap subscriptions', async (t) => {
  const hub = await hubFor(t);
  const rap = await connect5(t, hub.mqttUrl);
  const plain = await connect5(t, hub.mqttUrl);
  await subscribe5(rap.client, 'ourhome/rap/#', { qos: 1, rap: true });
  await subscribe5(plain.client, 'ourhome/rap/#', { qos: 1 });
  const pub = await connect5(t, hub.mqttUrl);
  t.after(() => publish5(pub.client, 'ourhome/rap/state', '', { qos: 1, retain: true }).catch(() => {}));
  await publish5(pub.client, 'ourhome/rap/state', 'on', { qos: 1, retain: true });
  await until(() => rap.messages.length === 1 && plain.messages.length === 1, 'both copies');
  assert.equal(rap.messages[0]!.retain, true);
  assert.equal(plain.messages[0]!.retain, false, '[MQTT-3.3.1-12]');
});

test('Retain Handling: 0 sends retained messages at every SUBSCRIBE, 1 only for a new subscription, 2 never', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/rh/state', 'kept', { qos: 1, retain: true });
  const counts: number[] = [];
  for (const rh of [0, 1, 2] as const) {
    const c = await connect5(t, hub.mqttUrl);
    await subscribe5(c.client, 'ourhome/rh/state', { qos: 1, rh });
    await subscribe5(c.client, 'ourhome/rh/state', { qos: 1, rh });
    // A live message after both SUBSCRIBEs: every retained copy sent for them came before it.
    await subscribe5(c.client, 'ourhome/rh/end', { qos: 1 });
    await flush(pub.client, c, 'ourhome/rh/end');
    counts.push(c.messages.filter((m) => m.topic === 'ourhome/rh/state').length);
    for (const m of c.messages.filter((x) => x.topic === 'ourhome/rh/state')) assert.equal(m.retain, true);
  }
  assert.deepEqual(counts, [2, 1, 0]);
});

test('device ACL answers MQTT 5: denied SUBSCRIBE 0x87, denied PUBLISH PUBACK/PUBREC 0x87, the connection stays', async (t) => {
  const hub = await hubFor(t);
  const owner = await connect5(t, hub.mqttUrl, await deviceAccount(hub));
  await publish5(owner.client, 'ourhome/groundfloor/hall/light', 'on', { qos: 1 });
  const watcher = await connect5(t, hub.mqttUrl);
  await subscribe5(watcher.client, 'ourhome/groundfloor/hall/light');
  const intruder = await connect5(t, hub.mqttUrl, await deviceAccount(hub));
  // A device may not follow the whole house.
  assert.deepEqual(await subscribe5(intruder.client, ['ourhome/#', 'ourhome/groundfloor/hall/light/set', 'ourhome/attic/fan/set']), [0x87, 0x87, 1]);
  const before = hub.hub.broker.counters.deniedPublishes;
  await assert.rejects(publish5(intruder.client, 'ourhome/groundfloor/hall/light', 'hijack', { qos: 1 }), (err: { code?: number }) => err.code === 0x87);
  await assert.rejects(publish5(intruder.client, 'ourhome/groundfloor/hall/light', 'hijack2', { qos: 2 }), (err: { code?: number }) => err.code === 0x87);
  assert.equal(hub.hub.broker.counters.deniedPublishes, before + 2);
  // Still connected and heard: its own topic works.
  assert.equal(intruder.disconnects.length, 0);
  await publish5(intruder.client, 'ourhome/attic/fan/state', 'on', { qos: 1 });
  await publish5(owner.client, 'ourhome/groundfloor/hall/light', 'off', { qos: 1 });
  await until(() => watcher.messages.some((m) => m.payload.toString() === 'off'), 'the owner\'s next message');
  assert.ok(!watcher.messages.some((m) => m.payload.toString().startsWith('hijack')), 'denied messages are not routed');
});

test('device ACL answers 3.1.1: denied SUBSCRIBE 0x80', async (t) => {
  const hub = await hubFor(t);
  const device = await connect5(t, hub.mqttUrl, { ...(await deviceAccount(hub)), protocolVersion: 4 });
  assert.deepEqual(await subscribe5(device.client, ['ourhome/#', 'ourhome/attic/fan/set']), [0x80, 1]);
});

/** Node-RED with a kept session: each node's subscription has its own SI and the session outlives the connection. */
async function keptSessionWithIdentifiers(hub: Awaited<ReturnType<typeof hubFor>>): Promise<{ opts: Parameters<typeof connect5>[2]; first: Awaited<ReturnType<typeof connect5>> }> {
  const opts = { clientId: 'nodered-kept', clean: false, properties: { sessionExpiryInterval: 300 } };
  const first = await connect5(undefined, hub.mqttUrl, opts);
  await subscribe5(first.client, 'ourhome/garden/#', { qos: 1, properties: { subscriptionIdentifier: 21 } });
  await subscribe5(first.client, 'ourhome/garden/pond/+', { qos: 1, properties: { subscriptionIdentifier: 22 } });
  return { opts, first };
}

async function leave(hub: Awaited<ReturnType<typeof hubFor>>, c: Awaited<ReturnType<typeof connect5>>, clientId: string): Promise<void> {
  await new Promise<void>((r) => c.client.end(false, {}, () => r()));
  const clients = (hub.hub.broker.aedes as unknown as { clients: Record<string, unknown> }).clients;
  await until(() => clients[clientId] === undefined, `${clientId} gone`);
}

test('a message queued for an away session comes back once per subscription, each copy with its own SI [MQTT-3.3.4-3]', async (t) => {
  const hub = await hubFor(t);
  const { opts, first } = await keptSessionWithIdentifiers(hub);
  await leave(hub, first, 'nodered-kept');
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/garden/pond/level', 'low', { qos: 1 });
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, true);
  await flush(pub.client, back, 'ourhome/garden/end');
  const copies = back.messages.filter((m) => m.topic === 'ourhome/garden/pond/level');
  assert.deepEqual(copies.map((m) => identifiers(m)).sort(), [[21], [22]], 'Node-RED\'s nodes each find their own');
});

test('copies a kept session with SIs received and acknowledged are not sent again at its next reconnect', async (t) => {
  const hub = await hubFor(t);
  const { opts, first } = await keptSessionWithIdentifiers(hub);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/garden/pond/level', 'high', { qos: 1 });
  await flush(pub.client, first, 'ourhome/garden/end');
  assert.deepEqual(first.messages.filter((m) => m.topic === 'ourhome/garden/pond/level').map((m) => identifiers(m)).sort(), [[21], [22]]);
  await leave(hub, first, 'nodered-kept');
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, true);
  await flush(pub.client, back, 'ourhome/garden/end');
  assert.deepEqual(back.messages.filter((m) => m.topic === 'ourhome/garden/pond/level'), [], 'both copies were acknowledged (MQTT.js acknowledges each)');
});

test('a QoS 2 message reaches a wildcard subscription granted QoS 1 at QoS 1, live and retained, a retained QoS 1 one a QoS 0 wildcard at QoS 0 (3.1.1 and MQTT 5) [MQTT-3.8.4-8]', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl);
  t.after(() => publish5(pub.client, 'ourhome/qos/kept', '', { qos: 1, retain: true }).catch(() => {}));
  await publish5(pub.client, 'ourhome/qos/kept', 'retained', { qos: 2, retain: true });
  t.after(() => publish5(pub.client, 'ourhome/qos0/kept', '', { qos: 1, retain: true }).catch(() => {}));
  await publish5(pub.client, 'ourhome/qos0/kept', 'retained-q1', { qos: 1, retain: true });
  for (const protocolVersion of [4, 5] as const) {
    const sub = await connect5(t, hub.mqttUrl, { protocolVersion });
    await subscribe5(sub.client, 'ourhome/qos/#', { qos: 1 });
    await subscribe5(sub.client, 'ourhome/qos2/exact', { qos: 2 });
    await subscribe5(sub.client, 'ourhome/qos0/+', { qos: 0 });
    await publish5(pub.client, 'ourhome/qos/live', 'live', { qos: 2 });
    await publish5(pub.client, 'ourhome/qos2/exact', 'exact', { qos: 2 });
    await until(() => sub.messages.length === 4, 'four messages');
    assert.deepEqual(Object.fromEntries(sub.messages.map((m) => [m.payload.toString(), m.qos])), { retained: 1, live: 1, exact: 2, 'retained-q1': 0 }, `MQTT ${protocolVersion}`);
  }
});

test('a QoS 2 message queued for an away session\'s QoS 1 subscriptions comes back at QoS 1 (3.1.1 and MQTT 5) [MQTT-3.8.4-8]', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl);
  for (const protocolVersion of [4, 5] as const) {
    const clientId = `away-${protocolVersion}`;
    const opts = { clientId, clean: false, protocolVersion, properties: protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined };
    const first = await connect5(undefined, hub.mqttUrl, opts);
    await subscribe5(first.client, `ourhome/away${protocolVersion}/#`, { qos: 1 });
    await subscribe5(first.client, `ourhome/exact${protocolVersion}/x`, { qos: 1 });
    await leave(hub, first, clientId);
    await publish5(pub.client, `ourhome/away${protocolVersion}/x`, 'wildcard', { qos: 2 });
    await publish5(pub.client, `ourhome/exact${protocolVersion}/x`, 'exact', { qos: 2 });
    const back = await connect5(t, hub.mqttUrl, opts);
    await until(() => back.messages.length === 2, 'both queued messages');
    assert.deepEqual(Object.fromEntries(back.messages.map((m) => [m.payload.toString(), m.qos])), { wildcard: 1, exact: 1 }, `MQTT ${protocolVersion}`);
  }
});
