// Topic aliases from the hub to an MQTT 5 client (server/mqtt/outbound-aliases.ts), seen on the wire by MQTT.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { adminPassword, connect, end, publish, startHub, subscribe } from '../helpers/hub.js';

const admin = { username: 'admin', password: adminPassword };

/** Each PUBLISH as it came off the wire (MQTT.js fills an aliased topic in afterwards, on the same object). */
function wire(client: MqttClient): Array<{ topic: string; alias?: number; payload: string }> {
  const seen: Array<{ topic: string; alias?: number; payload: string }> = [];
  client.on('packetreceive', (p) => {
    if (p.cmd !== 'publish') return;
    const packet = p as IPublishPacket;
    seen.push({ topic: packet.topic, alias: packet.properties?.topicAlias, payload: packet.payload.toString() });
  });
  return seen;
}

function arrived(client: MqttClient, count: number): Promise<Array<{ topic: string; payload: string }>> {
  const got: Array<{ topic: string; payload: string }> = [];
  return new Promise((resolve) => {
    const on = (topic: string, payload: Buffer): void => {
      got.push({ topic, payload: payload.toString() });
      if (got.length === count) {
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

test('a client that takes 2 topic aliases gets its first two topics numbered and then sent by alias only; a third topic goes in full', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sub = await connect(hub.mqttUrl, { ...admin, protocolVersion: 5, properties: { topicAliasMaximum: 2 } });
  t.after(() => end(sub));
  const seen = wire(sub);
  await subscribe(sub, 'alias/#', 0);
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  const all = arrived(sub, 6);
  for (const [topic, payload] of [['alias/a', '1'], ['alias/a', '2'], ['alias/b', '3'], ['alias/c', '4'], ['alias/b', '5'], ['alias/c', '6']] as const) {
    await publish(pub, topic, payload, { qos: 0 });
  }
  // What the application sees: every topic, whole (the client resolved the aliases).
  assert.deepEqual(await all, [
    { topic: 'alias/a', payload: '1' }, { topic: 'alias/a', payload: '2' }, { topic: 'alias/b', payload: '3' },
    { topic: 'alias/c', payload: '4' }, { topic: 'alias/b', payload: '5' }, { topic: 'alias/c', payload: '6' },
  ]);
  // What went over the wire [MQTT-3.3.2-12]: the topic with its new alias once, then the alias alone.
  assert.deepEqual(seen, [
    { topic: 'alias/a', alias: 1, payload: '1' }, { topic: '', alias: 1, payload: '2' }, { topic: 'alias/b', alias: 2, payload: '3' },
    { topic: 'alias/c', alias: undefined, payload: '4' }, { topic: '', alias: 2, payload: '5' }, { topic: 'alias/c', alias: undefined, payload: '6' },
  ]);
});

test('no aliases for a client that takes none, for a 3.1.1 client, for QoS 2 deliveries, or for a persistent session', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const none = await connect(hub.mqttUrl, { ...admin, protocolVersion: 5 });
  const v4 = await connect(hub.mqttUrl, admin);
  const qos2 = await connect(hub.mqttUrl, { ...admin, protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
  const persistent = await connect(hub.mqttUrl, { ...admin, protocolVersion: 5, clean: false, clientId: 'alias-persistent', properties: { topicAliasMaximum: 5, sessionExpiryInterval: 60 } });
  const pub = await connect(hub.mqttUrl, admin);
  for (const c of [none, v4, qos2, persistent, pub]) t.after(() => end(c));
  const seen = [none, v4, qos2, persistent].map(wire);
  await subscribe(none, 'plain/#', 0);
  await subscribe(v4, 'plain/#', 0);
  await subscribe(qos2, 'plain/#', 2);
  await subscribe(persistent, 'plain/#', 1);
  const done = [none, v4, qos2, persistent].map((c) => arrived(c, 2));
  await publish(pub, 'plain/x', 'a', { qos: 2 });
  await publish(pub, 'plain/x', 'b', { qos: 2 });
  await Promise.all(done);
  for (const s of seen) assert.deepEqual(s.map((p) => [p.topic, p.alias]), [['plain/x', undefined], ['plain/x', undefined]]);
});
