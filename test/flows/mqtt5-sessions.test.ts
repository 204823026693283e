import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { connect5, flush, hubFor, portOf, publish5, RawClient, sleep, subscribe5, until, type V5Client } from '../helpers/mqtt5.js';
import { startHub, tempDir, type TestHub } from '../helpers/hub.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Sessions and wills as MQTT 5 defines them: Session Expiry (at CONNECT and at DISCONNECT), resuming with Clean
// Start 0, Will Delay, and the DISCONNECT packets the hub sends.

/** Connects, subscribes `filter` at QoS 1, and leaves (DISCONNECT with `disconnectProps`, or the socket cut). */
async function sessionThenLeave(hub: TestHub, opts: IClientOptions, filter: string, leave: { disconnectProps?: Record<string, unknown>; cut?: boolean } = {}): Promise<V5Client> {
  const c = await connect5(undefined, hub.mqttUrl, opts);
  await subscribe5(c.client, filter, { qos: 1 });
  if (leave.cut) c.client.stream.destroy();
  else await new Promise<void>((r) => c.client.end(false, leave.disconnectProps ? { properties: leave.disconnectProps } : {}, () => r()));
  await c.closed;
  await goneFromHub(hub, opts.clientId!);
  return c;
}

/** Waits until the hub no longer counts `clientId` as connected. */
async function goneFromHub(hub: TestHub, clientId: string): Promise<void> {
  const clients = (hub.hub.broker.aedes as unknown as { clients: Record<string, unknown> }).clients;
  await until(() => clients[clientId] === undefined, `${clientId} gone from the hub`);
}

async function publishWhileAway(t: TestContext, hub: TestHub, topic: string, payloads: string[]): Promise<V5Client> {
  const pub = await connect5(t, hub.mqttUrl);
  for (const p of payloads) await publish5(pub.client, topic, p, { qos: 1 });
  return pub;
}

test('Session Expiry 0: nothing is kept; a reconnect with Clean Start 0 finds no session', async (t) => {
  const hub = await hubFor(t);
  const opts = { clientId: 'ephemeral', clean: false, properties: { sessionExpiryInterval: 0 } };
  await sessionThenLeave(hub, opts, 'ourhome/s0/#');
  await goneFromHub(hub, 'ephemeral');
  const pub = await publishWhileAway(t, hub, 'ourhome/s0/x', ['lost']);
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, false);
  await subscribe5(back.client, 'ourhome/s0/end');
  await flush(pub.client, back, 'ourhome/s0/end');
  assert.deepEqual(back.messages.filter((m) => m.topic === 'ourhome/s0/x'), []);
});

test('Session Expiry 10: the session is present on reconnect with Clean Start 0, with the QoS 1 messages queued meanwhile', async (t) => {
  const hub = await hubFor(t);
  const opts = { clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 10 } };
  await sessionThenLeave(hub, opts, 'ourhome/s10/#');
  await goneFromHub(hub, 'keeper');
  const pub = await publishWhileAway(t, hub, 'ourhome/s10/x', ['q1', 'q2', 'q3']);
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, true);
  await flush(pub.client, back, 'ourhome/s10/end');
  assert.deepEqual(back.messages.filter((m) => m.topic === 'ourhome/s10/x').map((m) => m.payload.toString()), ['q1', 'q2', 'q3']);
});

test('Session Expiry set to 0 at DISCONNECT ends the session the CONNECT asked to keep', async (t) => {
  const hub = await hubFor(t);
  const opts = { clientId: 'changed-mind', clean: false, properties: { sessionExpiryInterval: 10 } };
  await sessionThenLeave(hub, opts, 'ourhome/sd/#', { disconnectProps: { sessionExpiryInterval: 0 } });
  await goneFromHub(hub, 'changed-mind');
  const pub = await publishWhileAway(t, hub, 'ourhome/sd/x', ['lost']);
  const back = await connect5(t, hub.mqttUrl, opts);
  assert.equal(back.connack.sessionPresent, false, '[MQTT-3.14.2-2]');
  await subscribe5(back.client, 'ourhome/sd/end');
  await flush(pub.client, back, 'ourhome/sd/end');
  assert.deepEqual(back.messages.filter((m) => m.topic === 'ourhome/sd/x'), []);
});

test('Clean Start 0 without Session Expiry resumes the kept session: queued messages delivered; the session then ends with the connection', async (t) => {
  const hub = await hubFor(t);
  await sessionThenLeave(hub, { clientId: 'resumer', clean: false, properties: { sessionExpiryInterval: 30 } }, 'ourhome/resume/#');
  await goneFromHub(hub, 'resumer');
  const pub = await publishWhileAway(t, hub, 'ourhome/resume/x', ['r1', 'r2']);
  // No Session Expiry property: 0, "the session ends when the network connection closes" [MQTT-3.1.2-5] — but it
  // resumes the existing one first.
  const back = await connect5(undefined, hub.mqttUrl, { clientId: 'resumer', clean: false });
  assert.equal(back.connack.sessionPresent, true);
  await flush(pub.client, back, 'ourhome/resume/end');
  assert.deepEqual(back.messages.filter((m) => m.topic === 'ourhome/resume/x').map((m) => m.payload.toString()), ['r1', 'r2']);
  await new Promise<void>((r) => back.client.end(false, {}, () => r()));
  await goneFromHub(hub, 'resumer');
  const again = await connect5(t, hub.mqttUrl, { clientId: 'resumer', clean: false });
  assert.equal(again.connack.sessionPresent, false, 'that connection had Session Expiry 0: its session ended with it');
});

test('a kept session subscribed to __proto__ and constructor resumes (3.1.1 and MQTT 5) without crashing the hub', async (t) => {
  const hub = await hubFor(t);
  for (const protocolVersion of [4, 5] as const) {
    const opts: IClientOptions = { clientId: `proto-${protocolVersion}`, clean: false, protocolVersion, properties: protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined };
    const first = await connect5(undefined, hub.mqttUrl, opts);
    assert.deepEqual(await subscribe5(first.client, ['__proto__', 'constructor', 'ourhome/p/x'], { qos: 1 }), [1, 1, 1]);
    await new Promise<void>((r) => first.client.end(false, {}, () => r()));
    await goneFromHub(hub, `proto-${protocolVersion}`);
    const pub = await publishWhileAway(t, hub, '__proto__', [`queued-${protocolVersion}`]);
    const back = await connect5(t, hub.mqttUrl, opts);
    assert.equal(back.connack.sessionPresent, true);
    await publish5(pub.client, 'constructor', 'live-c');
    await publish5(pub.client, '__proto__', 'live-p');
    await flush(pub.client, back, 'ourhome/p/x');
    assert.deepEqual(back.messages.filter((m) => !m.topic.startsWith('ourhome/')).map((m) => `${m.topic}=${m.payload}`), [`__proto__=queued-${protocolVersion}`, 'constructor=live-c', '__proto__=live-p']);
  }
});

/** A watcher of `ourhome/will/#` and a client with a will there, cut off without DISCONNECT. */
async function willScenario(t: TestContext, hub: TestHub, clientId: string, connectProps: Record<string, unknown>, willDelayInterval: number): Promise<{ watcher: V5Client; pub: V5Client }> {
  const watcher = await connect5(t, hub.mqttUrl);
  await subscribe5(watcher.client, 'ourhome/will/#', { qos: 1 });
  const pub = await connect5(t, hub.mqttUrl);
  const dying = await connect5(undefined, hub.mqttUrl, {
    clientId,
    clean: true,
    properties: connectProps,
    will: { topic: `ourhome/will/${clientId}`, payload: Buffer.from('offline'), qos: 1, retain: false, properties: { willDelayInterval, userProperties: { why: 'lost' }, contentType: 'text/plain' } },
  });
  dying.client.stream.destroy();
  await goneFromHub(hub, clientId);
  return { watcher, pub };
}

test('Will Delay: the will waits for its delay, then goes without Will Delay Interval and with its user properties', async (t) => {
  const hub = await hubFor(t);
  const { watcher, pub } = await willScenario(t, hub, 'delayed', { sessionExpiryInterval: 10 }, 2);
  // Routed after the client was gone: the will, delayed, is not there yet.
  await flush(pub.client, watcher, 'ourhome/will/marker');
  assert.deepEqual(watcher.messages.filter((m) => m.topic === 'ourhome/will/delayed'), []);
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/will/delayed'), 'the delayed will');
  const will = watcher.messages.find((m) => m.topic === 'ourhome/will/delayed')!;
  assert.equal(will.payload.toString(), 'offline');
  assert.equal((will.properties as Record<string, unknown> | undefined)?.willDelayInterval, undefined, 'a CONNECT property, never a PUBLISH one (moscajs/aedes#1098)');
  assert.deepEqual({ ...will.properties?.userProperties }, { why: 'lost' });
  assert.equal(will.properties?.contentType, 'text/plain');
});

test('Will Delay is capped by Session Expiry: Will Delay 60 with Session Expiry 1 publishes when the session ends', async (t) => {
  const hub = await hubFor(t);
  const { watcher, pub } = await willScenario(t, hub, 'capped', { sessionExpiryInterval: 1 }, 60);
  await flush(pub.client, watcher, 'ourhome/will/marker');
  assert.deepEqual(watcher.messages.filter((m) => m.topic === 'ourhome/will/capped'), [], 'not at once');
  // Far less than the 60 s delay: the session's end publishes it [MQTT-3.1.3-9].
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/will/capped'), 'the will at the end of the session', 15_000);
});

test('Will Delay: a client back within the delay cancels its will', async (t) => {
  const hub = await hubFor(t);
  const { watcher, pub } = await willScenario(t, hub, 'flaky', { sessionExpiryInterval: 30 }, 2);
  const back = await connect5(t, hub.mqttUrl, { clientId: 'flaky', clean: false, properties: { sessionExpiryInterval: 30 } });
  assert.equal(back.connack.reasonCode, 0);
  await sleep(3000); // past the delay
  await flush(pub.client, watcher, 'ourhome/will/marker');
  assert.deepEqual(watcher.messages.filter((m) => m.topic === 'ourhome/will/flaky'), [], '[MQTT-3.1.3-9]');
});

test('a will without delay is published at once with its properties; 3.1.1 wills still work', async (t) => {
  const hub = await hubFor(t);
  const { watcher } = await willScenario(t, hub, 'nodelay', {}, 0);
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/will/nodelay'), 'the will');
  const will = watcher.messages.find((m) => m.topic === 'ourhome/will/nodelay')!;
  assert.deepEqual({ ...will.properties?.userProperties }, { why: 'lost' });
  assert.equal((will.properties as Record<string, unknown> | undefined)?.willDelayInterval, undefined);
  const v4 = await connect5(undefined, hub.mqttUrl, { protocolVersion: 4, clientId: 'old-sensor', will: { topic: 'ourhome/will/old-sensor', payload: Buffer.from('gone'), qos: 1, retain: false } });
  v4.client.stream.destroy();
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/will/old-sensor'), 'the 3.1.1 will');
});

test('session takeover: the old MQTT 5 connection gets DISCONNECT 0x8E', async (t) => {
  const hub = await hubFor(t);
  const old = await connect5(t, hub.mqttUrl, { clientId: 'twin' });
  const fresh = await connect5(t, hub.mqttUrl, { clientId: 'twin' });
  await old.closed;
  assert.deepEqual(old.disconnects.map((d) => d.reasonCode), [0x8e], 'Session taken over');
  assert.equal(fresh.client.connected, true);
  assert.equal(fresh.disconnects.length, 0);
});

test('hub stop: MQTT 5 clients get DISCONNECT 0x8B', async (t) => {
  const hub = await hubFor(t);
  const a = await connect5(t, hub.mqttUrl);
  const b = await connect5(t, hub.mqttUrl, { clientId: 'second' });
  await hub.stop();
  await Promise.all([a.closed, b.closed]);
  assert.deepEqual(a.disconnects.map((d) => d.reasonCode), [0x8b], 'Server shutting down');
  assert.deepEqual(b.disconnects.map((d) => d.reasonCode), [0x8b]);
});

test('a will left behind by a hub stop is published at the next start with its properties', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const first = await startHub({}, { dataDir });
  t.after(() => first.stop());
  const device = await connect5(undefined, first.mqttUrl, {
    clientId: 'zigbee-bridge',
    will: { topic: 'ourhome/will/bridge/state', payload: Buffer.from('offline'), qos: 1, retain: true, properties: { userProperties: { reason: 'hub gone' }, contentType: 'text/plain' } },
  });
  await first.stop();
  await device.closed;
  const second = await startHub({}, { dataDir });
  t.after(() => second.stop());
  const watcher = await connect5(t, second.mqttUrl);
  await subscribe5(watcher.client, 'ourhome/will/bridge/state');
  await until(() => watcher.messages.length === 1, 'the retained will');
  const will = watcher.messages[0]!;
  assert.equal(will.payload.toString(), 'offline');
  assert.equal(will.retain, true);
  assert.deepEqual({ ...will.properties?.userProperties }, { reason: 'hub gone' });
  assert.equal(will.properties?.contentType, 'text/plain');
});

test('DISCONNECT 0x04 (with Will Message) publishes the will; a normal DISCONNECT discards it', async (t) => {
  const hub = await hubFor(t);
  const watcher = await connect5(t, hub.mqttUrl);
  await subscribe5(watcher.client, 'ourhome/will/#', { qos: 1 });
  for (const [clientId, reasonCode] of [['leaves-with-will', 0x04], ['leaves-cleanly', 0x00]] as const) {
    const c = await connect5(undefined, hub.mqttUrl, { clientId, will: { topic: `ourhome/will/${clientId}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    await new Promise<void>((r) => c.client.end(false, { reasonCode }, () => r()));
    await goneFromHub(hub, clientId);
  }
  const pub = await connect5(t, hub.mqttUrl);
  await until(() => watcher.messages.some((m) => m.topic === 'ourhome/will/leaves-with-will'), 'the will asked for [MQTT-3.14.4-3]');
  await flush(pub.client, watcher, 'ourhome/will/marker');
  assert.deepEqual(watcher.messages.filter((m) => m.topic === 'ourhome/will/leaves-cleanly'), [], '[MQTT-3.1.2-10]');
});

for (const protocolVersion of [4, 5] as const) test(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: messages routed while a resumed session's queue is being sent come after the queued ones of their topic [MQTT-4.6.0-6]`, async (t) => {
  const hub = await hubFor(t);
  const opts: IClientOptions = { clientId: 'returning', clean: false, protocolVersion, properties: protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined };
  await sessionThenLeave(hub, opts, 'ourhome/order/#');
  const queued = Array.from({ length: 20 }, (_, i) => `queued-${i}`);
  const pub = await publishWhileAway(t, hub, 'ourhome/order/lamp', queued);
  const back = await connect5(t, hub.mqttUrl, opts);
  // Right after the CONNACK, while the hub sends the queue: the lamp's newest state.
  await publish5(pub.client, 'ourhome/order/lamp', 'newest', { qos: 1 });
  await until(() => back.messages.length === queued.length + 1, 'the queue and the newest state');
  assert.deepEqual(back.messages.map((m) => m.payload.toString()), [...queued, 'newest'], 'the last state received is the newest');
});

test('nothing is sent to a resuming client before its CONNACK, however busy its topics [MQTT-3.2.0-1]', async (t) => {
  const hub = await hubFor(t);
  const port = portOf(hub.mqttUrl);
  let streaming = true;
  let stream: Promise<void> | undefined;
  // Registered before the publisher's own end (hooks run in order): the stream stops first.
  t.after(async () => {
    streaming = false;
    await stream;
  });
  const busy = await connect5(t, hub.mqttUrl);
  stream = (async () => {
    for (let i = 0; streaming && busy.client.connected && !busy.client.disconnecting; i++) {
      busy.client.publish('ourhome/busy/counter', String(i), { qos: i % 2 ? 1 : 0 });
      if (i % 10 === 0) await sleep(1);
    }
  })();
  const connect = { clientId: 'resumer-raw', clean: false, properties: { sessionExpiryInterval: 60 } };
  const first = await RawClient.connect(t, port, 5, connect);
  first.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ourhome/busy/#', qos: 1 }] });
  await first.raw.next('suback');
  for (let round = 0; round < 10; round++) {
    const { raw } = await RawClient.connect(t, port, 5, connect);
    assert.equal(raw.packets[0]!.cmd, 'connack', `round ${round}: the first packet`);
    await until(() => raw.packets.some((p) => p.cmd === 'publish'), 'live messages');
    raw.socket.destroy();
  }
});
