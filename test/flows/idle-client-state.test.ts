import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket } from 'mqtt-packet';
import { connect5, flush, hubFor, publish5, subscribe5, until, type V5Client } from '../helpers/mqtt5.js';

// An idle connection costs rumah no delivery state: the dedupe's wrappers of a client's delivery functions
// (server/mqtt/dedupe.ts: one copy per Subscription Identifier, at most the QoS granted, copies held while the CONNECT
// is handled) are made at its first subscription, live or restored with its session. These check that a client that
// stayed idle, then subscribed — or resumed a session without sending a SUBSCRIBE — gets those rules all the same.

function identifiers(packet: IPublishPacket): number[] {
  const si = packet.properties?.subscriptionIdentifier as number | number[] | undefined;
  return si === undefined ? [] : Array.isArray(si) ? si : [si];
}

/** Each copy of `topic` the client got, as [its Subscription Identifiers, its QoS], sorted. */
function copies(c: V5Client, topic: string): Array<[number[], number]> {
  return c.messages.filter((m) => m.topic === topic).map((m): [number[], number] => [identifiers(m), m.qos]).sort((a, b) => (a[0][0] ?? 0) - (b[0][0] ?? 0));
}

test('a client idle since its CONNECT, subscribing later, gets one copy per Subscription Identifier, each at the QoS granted', async (t) => {
  const hub = await hubFor(t);
  const idle = await connect5(t, hub.mqttUrl, { clientId: 'idle-then-subscribes' });
  const pub = await connect5(t, hub.mqttUrl);
  // Traffic while it is idle, routed past it.
  await publish5(pub.client, 'ourhome/idle/before', 'x', { qos: 1 });
  await subscribe5(idle.client, 'ourhome/idle/#', { qos: 1, properties: { subscriptionIdentifier: 1 } });
  await subscribe5(idle.client, 'ourhome/idle/+', { qos: 1, properties: { subscriptionIdentifier: 2 } });
  await publish5(pub.client, 'ourhome/idle/level', 'high', { qos: 2 });
  await flush(pub.client, idle, 'ourhome/idle/end');
  assert.deepEqual(copies(idle, 'ourhome/idle/level'), [[[1], 1], [[2], 1]], 'a copy per SI [MQTT-3.3.4-5], at QoS 1 as granted [MQTT-3.8.4-8]');
});

test('a 3.1.1 client idle since its CONNECT, subscribing later to overlapping filters, gets one copy at the QoS granted', async (t) => {
  const hub = await hubFor(t);
  const idle = await connect5(t, hub.mqttUrl, { clientId: 'idle-then-subscribes-v4', protocolVersion: 4 });
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/idle4/before', 'x', { qos: 1 });
  await subscribe5(idle.client, 'ourhome/idle4/#', { qos: 1 });
  await subscribe5(idle.client, 'ourhome/idle4/+', { qos: 1 });
  await publish5(pub.client, 'ourhome/idle4/level', 'high', { qos: 2 });
  await flush(pub.client, idle, 'ourhome/idle4/end');
  assert.deepEqual(copies(idle, 'ourhome/idle4/level'), [[[], 1]]);
});

test('a resumed session that sends no SUBSCRIBE gets the same rules for live messages on its restored subscriptions', async (t) => {
  const hub = await hubFor(t);
  const opts = { clientId: 'kept-then-idle', clean: false, properties: { sessionExpiryInterval: 300 } };
  const first = await connect5(undefined, hub.mqttUrl, opts);
  await subscribe5(first.client, 'ourhome/kept/#', { qos: 1, properties: { subscriptionIdentifier: 31 } });
  await subscribe5(first.client, 'ourhome/kept/+', { qos: 1, properties: { subscriptionIdentifier: 32 } });
  await new Promise<void>((r) => first.client.end(false, {}, () => r()));
  const clients = (hub.hub.broker.aedes as unknown as { clients: Record<string, unknown> }).clients;
  await until(() => clients[opts.clientId] === undefined, `${opts.clientId} gone`);
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, true);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/kept/level', 'low', { qos: 2 });
  await flush(pub.client, back, 'ourhome/kept/end');
  assert.deepEqual(copies(back, 'ourhome/kept/level'), [[[31], 1], [[32], 1]]);
});
