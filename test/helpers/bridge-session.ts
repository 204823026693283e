import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connect, publish, subscribe } from './hub.js';
import { collect, linkOf, until } from './bridge-out.js';
import { startMosquitto } from './mosquitto.js';
import { wire, type WireConnection, type WirePublish } from './bridge-wire.js';
import type { Hub } from '../../server/hub.js';

// The outbound persistent-session scenario the bridge tests interrupt in different ways (a dropped connection, a
// clean restart of the hub): five messages in flight, then what the remote's Session Present 1 must get again.

/**
 * Publishes q/0..q/4 at QoS 1, 2, 2, 1, 1 through the hub; the remote answers q/1 (QoS 2) with a PUBREC, so the bridge
 * releases it, and q/3 with a PUBACK; q/0, q/2 and q/4 get nothing. Returns each topic's packet identifier.
 */
export async function fiveInFlight(hub: Hub, local: MqttClient, first: WireConnection): Promise<Map<string, number>> {
  const qos = [1, 2, 2, 1, 1] as const;
  for (let i = 0; i < qos.length; i++) await publish(local, `q/${i}`, `m${i}`, { qos: qos[i]! });
  await first.until('five PUBLISHes', (p) => wire(p).length === 5);
  const id = new Map((first.packets.filter((p) => p.cmd === 'publish') as WirePublish[]).map((p) => [p.topic, p.messageId]));
  assert.deepEqual(wire(first.packets), [0, 1, 2, 3, 4].map((i) => `publish q/${i} ${id.get(`q/${i}`)} q${qos[i]}`));
  first.send({ cmd: 'pubrec', messageId: id.get('q/1') });
  first.send({ cmd: 'puback', messageId: id.get('q/3') });
  await first.until('the PUBREL of q/1', (p) => wire(p).includes(`pubrel ${id.get('q/1')}`));
  await until('q/3 acknowledged', () => linkOf(hub).messagesOut === 1);
  return id;
}

/**
 * On the connection after the interruption, with Session Present 1: the four unacknowledged go again first, in their
 * first order, under their ids, DUP 1, q/1 as its PUBREL [MQTT-4.4.0-1]; then q/5, published through `local`, goes as
 * a new message under an id not in flight. Returns q/5's PUBLISH.
 */
export async function sentAgainThenNew(second: WireConnection, id: Map<string, number>, local: MqttClient): Promise<WirePublish> {
  await second.until('four packets sent again', (p) => wire(p).length >= 4);
  assert.deepEqual(wire(second.packets).slice(0, 4), [
    `publish q/0 ${id.get('q/0')} q1 dup`,
    `pubrel ${id.get('q/1')}`,
    `publish q/2 ${id.get('q/2')} q2 dup`,
    `publish q/4 ${id.get('q/4')} q1 dup`,
  ], 'in their first order, under their ids, DUP 1; the PUBREL for the one whose PUBREC came; q/3 not at all');
  await publish(local, 'q/5', 'm5', { qos: 1 });
  await second.until('q/5', (p) => wire(p).length === 5);
  const q5 = (second.packets.filter((p) => p.cmd === 'publish') as WirePublish[]).find((p) => p.topic === 'q/5')!;
  assert.equal(q5.dup, false);
  assert.ok(![id.get('q/0'), id.get('q/1'), id.get('q/2'), id.get('q/4')].includes(q5.messageId), `q/5's id ${q5.messageId} is one still in flight`);
  return q5;
}

/** A real mosquitto with a QoS 2 subscriber on `site/#` there, whose messages are collected; stopped with the test. */
export async function mosquittoWithSink(t: TestContext, protocolVersion: 4 | 5): Promise<{ port: number; got: string[] }> {
  const mosquitto = await startMosquitto([]);
  t.after(() => mosquitto.stop());
  const sink = await connect(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: 'sink', protocolVersion });
  t.after(() => sink.end(true));
  await subscribe(sink, 'site/#', 2);
  return { port: mosquitto.port, got: collect(sink) };
}
