import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { connect5, flush, hubFor, publish5, sleep, subscribe5, until } from '../helpers/mqtt5.js';

// PUBLISH properties end to end: what an MQTT 5 publisher sets reaches MQTT 5 subscribers, at every QoS (QoS 1 takes
// rumah's own republish path, server/mqtt/dispatch.ts copyToPublish), and Message Expiry and the subscriber's
// Maximum Packet Size are honoured.

for (const qos of [0, 1, 2] as const) {
  test(`QoS ${qos}: user properties, payload format indicator, content type, response topic and correlation data arrive as sent`, async (t) => {
    const hub = await hubFor(t);
    const sub = await connect5(t, hub.mqttUrl);
    await subscribe5(sub.client, 'ourhome/props/#', { qos: 2 });
    const pub = await connect5(t, hub.mqttUrl);
    const properties = {
      userProperties: { source: 'node-red', flow: ['a', 'b'] },
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: 'ourhome/props/reply',
      correlationData: Buffer.from([0, 1, 2, 0xff]),
      messageExpiryInterval: 3600,
    };
    await publish5(pub.client, 'ourhome/props/thing', '{"on":true}', { qos, properties });
    await until(() => sub.messages.length === 1, 'the message');
    const got = sub.messages[0]!;
    assert.equal(got.payload.toString(), '{"on":true}');
    assert.equal(got.qos, qos);
    assert.deepEqual({ ...got.properties?.userProperties }, { source: 'node-red', flow: ['a', 'b'] });
    assert.equal(got.properties?.payloadFormatIndicator, true);
    assert.equal(got.properties?.contentType, 'application/json');
    assert.equal(got.properties?.responseTopic, 'ourhome/props/reply');
    assert.deepEqual(got.properties?.correlationData, Buffer.from([0, 1, 2, 0xff]));
    const left = got.properties?.messageExpiryInterval;
    assert.ok(typeof left === 'number' && left > 0 && left <= 3600, `message expiry kept (${left})`);
  });
}

test('request/response: the responder answers on the Response Topic with the Correlation Data; the requester matches it', async (t) => {
  const hub = await hubFor(t);
  const responder = await connect5(t, hub.mqttUrl, { clientId: 'tasmota-like' });
  await subscribe5(responder.client, 'ourhome/rpc/request');
  responder.client.on('message', (_topic, payload, packet) => {
    const { responseTopic, correlationData } = packet.properties ?? {};
    if (!responseTopic) return;
    responder.client.publish(responseTopic, `result:${payload.toString()}`, { qos: 1, properties: { correlationData } });
  });
  const requester = await connect5(t, hub.mqttUrl);
  await subscribe5(requester.client, 'ourhome/rpc/response/requester');
  for (const [i, qos] of ([0, 1, 2] as const).entries()) {
    await publish5(requester.client, 'ourhome/rpc/request', `ping${i}`, { qos, properties: { responseTopic: 'ourhome/rpc/response/requester', correlationData: Buffer.from(`req-${i}`) } });
  }
  await until(() => requester.messages.length === 3, 'three responses');
  const answers = new Map(requester.messages.map((m) => [m.properties?.correlationData?.toString(), m.payload.toString()]));
  assert.deepEqual(Object.fromEntries(answers), { 'req-0': 'result:ping0', 'req-1': 'result:ping1', 'req-2': 'result:ping2' });
});

test('Message Expiry: a retained message with expiry 1 is gone for a subscriber 2 s later; one without expiry stays', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/expiry/short', 'brief', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
  await publish5(pub.client, 'ourhome/expiry/long', 'lasting', { qos: 1, retain: true });
  t.after(() => publish5(pub.client, 'ourhome/expiry/long', '', { qos: 1, retain: true }).catch(() => {}));
  // Right away, the retained message is there, with what is left of its interval.
  const early = await connect5(t, hub.mqttUrl);
  await subscribe5(early.client, 'ourhome/expiry/short');
  await until(() => early.messages.length === 1, 'the retained message while it lives');
  assert.equal(early.messages[0]!.properties?.messageExpiryInterval, 1);
  await sleep(2000);
  const late = await connect5(t, hub.mqttUrl);
  await subscribe5(late.client, ['ourhome/expiry/short', 'ourhome/expiry/long']);
  await subscribe5(late.client, 'ourhome/expiry/end');
  await flush(pub.client, late, 'ourhome/expiry/end');
  assert.deepEqual(late.messages.filter((m) => !m.topic.endsWith('/end')).map((m) => m.payload.toString()), ['lasting']);
});

test('Message Expiry on a queued message: expiry 1 is dropped while the client is away, expiry 60 arrives with less left', async (t) => {
  const hub = await hubFor(t);
  const opts = { clientId: 'z2m-like', clean: false, properties: { sessionExpiryInterval: 300 } };
  const first = await connect5(undefined, hub.mqttUrl, opts);
  await subscribe5(first.client, 'ourhome/queued/#', { qos: 1 });
  await new Promise<void>((r) => first.client.end(false, {}, () => r()));
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'ourhome/queued/a', 'short-lived', { qos: 1, properties: { messageExpiryInterval: 1 } });
  await publish5(pub.client, 'ourhome/queued/b', 'long-lived', { qos: 1, properties: { messageExpiryInterval: 60, userProperties: { kept: 'yes' } } });
  await sleep(2100);
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, true);
  await flush(pub.client, back, 'ourhome/queued/end');
  const queued = back.messages.filter((m) => !m.topic.endsWith('/end'));
  assert.deepEqual(queued.map((m) => m.payload.toString()), ['long-lived']);
  const left = queued[0]!.properties?.messageExpiryInterval;
  assert.ok(typeof left === 'number' && left < 60 && left > 0, `the remaining interval (${left}) [MQTT-3.3.2-6]`);
  assert.deepEqual({ ...queued[0]!.properties?.userProperties }, { kept: 'yes' });
});

test('Maximum Packet Size: a subscriber asking for 200 bytes does not get a 1 KB message but gets the small one after it; 3.1.1 gets both', async (t) => {
  const hub = await hubFor(t);
  const small = await connect5(t, hub.mqttUrl, { properties: { maximumPacketSize: 200 } });
  const v4 = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  for (const c of [small, v4]) await subscribe5(c.client, 'ourhome/size/#', { qos: 1 });
  const pub = await connect5(t, hub.mqttUrl);
  const before = hub.hub.broker.counters.tooLargeForClient;
  for (const qos of [0, 1] as const) {
    await publish5(pub.client, 'ourhome/size/big', 'x'.repeat(1024), { qos });
    await publish5(pub.client, 'ourhome/size/small', `tiny${qos}`, { qos });
  }
  await until(() => small.messages.length === 2 && v4.messages.length === 4, 'the small messages');
  assert.deepEqual(small.messages.map((m) => m.payload.toString()), ['tiny0', 'tiny1'], '[MQTT-3.1.2-25]');
  assert.deepEqual(v4.messages.map((m) => m.payload.length), [1024, 5, 1024, 5]);
  assert.equal(hub.hub.broker.counters.tooLargeForClient, before + 2);
  // Still connected: the hub discarded the message for it, it did not drop the client.
  assert.equal(small.client.connected, true);
  assert.equal(small.disconnects.length, 0);
});

test('Maximum Packet Size is exact: a PUBLISH of the limit, properties and SI included, is sent; one byte more is not', async (t) => {
  const hub = await hubFor(t);
  const sub = await connect5(t, hub.mqttUrl, { properties: { maximumPacketSize: 200 } });
  await subscribe5(sub.client, 'ourhome/edge/#', { qos: 1, properties: { subscriptionIdentifier: 5 } });
  const properties = { userProperties: { k: 'v' } };
  /** The PUBLISH the hub writes to this subscriber for `n` payload bytes (with its SI and a packet id at QoS 1). */
  const wire = (n: number, qos: 0 | 1): number =>
    mqttPacket.generate({ cmd: 'publish', topic: 'ourhome/edge/x', payload: Buffer.alloc(n), qos, messageId: qos ? 1 : undefined, retain: false, dup: false, properties: { ...properties, subscriptionIdentifier: 5 } } as never, { protocolVersion: 5 }).length;
  const pub = await connect5(t, hub.mqttUrl);
  const fits: number[] = [];
  for (const qos of [0, 1] as const) {
    let n = 0;
    while (wire(n + 1, qos) <= 200) n++;
    assert.equal(wire(n, qos), 200);
    fits.push(n);
    await publish5(pub.client, 'ourhome/edge/x', 'a'.repeat(n), { qos, properties });
    await publish5(pub.client, 'ourhome/edge/x', 'a'.repeat(n + 1), { qos, properties });
  }
  await flush(pub.client, sub, 'ourhome/edge/end');
  assert.deepEqual(sub.messages.filter((m) => m.topic === 'ourhome/edge/x').map((m) => [m.qos, m.payload.length]), [[0, fits[0]], [1, fits[1]]]);
});
