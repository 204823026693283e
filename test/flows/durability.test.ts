import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { connect, end, nextMessage, publish, subscribe, waitFor } from '../helpers/hub.js';
import { runCli } from '../helpers/process.js';
import { admin, kill, mqttUrlOf, withHub } from '../helpers/crash.js';

// The durability contract: each case kills the hub with SIGKILL and starts it again on the same data dir.

const url = mqttUrlOf;

/**
 * Connects with every message kept from the first: a message queued for the session can come in the same read as the
 * CONNACK, and MQTT.js hands it out before `await connect()` returns, so a listener added after it misses it.
 */
function connectKeeping(hubUrl: string, opts: IClientOptions): Promise<{ client: MqttClient; got: Array<{ topic: string; payload: string; retain: boolean }>; sessionPresent: boolean }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(hubUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    const got = collect(client);
    client.once('connect', (connack) => resolve({ client, got, sessionPresent: connack.sessionPresent }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

function collect(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

test('a retained message acknowledged before a crash is there after it; a deleted one stays deleted', async (t) => {
  const { start } = await withHub(t);
  const hub = await start();
  const pub = await connect(url(hub), { ...admin, clientId: 'pub-retained' });
  await publish(pub, 'ourhome/groundfloor/hall/light', 'on', { qos: 1, retain: true });
  await publish(pub, 'ourhome/groundfloor/hall/motion', 'true', { qos: 1, retain: true });
  await publish(pub, 'ourhome/groundfloor/hall/motion', '', { qos: 1, retain: true }); // [MQTT-3.3.1-10] delete
  await end(pub);
  await kill(hub);

  const again = await start();
  const sub = await connect(url(again), { ...admin, clientId: 'sub-retained' });
  t.after(() => end(sub));
  const got = collect(sub);
  const first = nextMessage(sub, (topic) => topic === 'ourhome/groundfloor/hall/light');
  await subscribe(sub, 'ourhome/#');
  assert.equal((await first).payload, 'on');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got.map((m) => m.topic), ['ourhome/groundfloor/hall/light'], 'the deleted retained message did not come back');
  assert.equal(got[0]!.retain, true);
});

test('QoS 1 and QoS 2 messages queued for an offline persistent session survive a crash; QoS 2 arrives once', async (t) => {
  const { start } = await withHub(t);
  const hub = await start();
  const sub = await connect(url(hub), { ...admin, clientId: 'sleepy', clean: false });
  await subscribe(sub, 'ourhome/q1/#', 1);
  await subscribe(sub, 'ourhome/q2/#', 2);
  await end(sub);
  const pub = await connect(url(hub), { ...admin, clientId: 'pub-queued' });
  await publish(pub, 'ourhome/q1/room/thing', 'one', { qos: 1 });
  await publish(pub, 'ourhome/q2/room/thing', 'two', { qos: 2 });
  await end(pub);
  await kill(hub);

  const again = await start();
  const { client: back, got, sessionPresent } = await connectKeeping(url(again), { ...admin, clientId: 'sleepy', clean: false });
  t.after(() => end(back));
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(sessionPresent, true, 'CONNACK says session present');
  assert.deepEqual(got.filter((m) => m.topic === 'ourhome/q1/room/thing').map((m) => m.payload), ['one']);
  assert.deepEqual(got.filter((m) => m.topic === 'ourhome/q2/room/thing').map((m) => m.payload), ['two'], 'QoS 2 exactly once');
  // The subscriptions themselves survived: a new message is delivered without subscribing again.
  const pub2 = await connect(url(again), { ...admin, clientId: 'pub-after' });
  const fresh = nextMessage(back, (topic) => topic === 'ourhome/q1/room/other');
  await publish(pub2, 'ourhome/q1/room/other', 'three', { qos: 1 });
  assert.equal((await fresh).payload, 'three');
  await end(pub2);
});

test('the will of a client still connected at the crash is published after the restart', async (t) => {
  const { start } = await withHub(t);
  const hub = await start();
  const watcher = await connect(url(hub), { ...admin, clientId: 'watcher', clean: false });
  await subscribe(watcher, 'ourhome/+/+/+/status', 1);
  await end(watcher);
  await connect(url(hub), {
    ...admin, clientId: 'lamp-1', keepalive: 60,
    will: { topic: 'ourhome/groundfloor/livingroom/light/status', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  await kill(hub); // the lamp's connection dies with the hub, without a DISCONNECT

  const again = await start();
  const { client: back, got: queued } = await connectKeeping(url(again), { ...admin, clientId: 'watcher', clean: false });
  t.after(() => end(back));
  const will = await waitFor(() => queued.find((m) => m.topic === 'ourhome/groundfloor/livingroom/light/status'), 5000, 'the will queued for the watcher');
  assert.equal(will.payload, 'offline');
  const late = await connect(url(again), { ...admin, clientId: 'late' });
  t.after(() => end(late));
  const retained = nextMessage(late, (topic) => topic === 'ourhome/groundfloor/livingroom/light/status');
  await subscribe(late, 'ourhome/#');
  assert.equal((await retained).payload, 'offline', 'the retained will is stored too');
});

test('a will the client may not publish is refused at CONNECT: a crash does not publish it later', async (t) => {
  const { dataDir, start } = await withHub(t);
  const hub = await start();
  const account = async (name: string) => JSON.parse((await runCli(['devices', 'add', name, '--json', '--data', dataDir])).stdout) as { username: string; password: string };
  const owner = await account('hall-lamp');
  const intruder = await account('hall-plug');
  const lamp = await connect(url(hub), { ...owner, clientId: 'hall-lamp' });
  await publish(lamp, 'ourhome/groundfloor/hall/lamp', 'off', { qos: 1 });
  await end(lamp);
  const watcher = await connect(url(hub), { ...admin, clientId: 'watcher', clean: false });
  await subscribe(watcher, 'ourhome/groundfloor/hall/#', 1);
  await end(watcher);
  // The plug's will would switch the lamp: another account's device's command topic.
  await connect(url(hub), { ...intruder, clientId: 'hall-plug', will: { topic: 'ourhome/groundfloor/hall/lamp/set', payload: Buffer.from('on'), qos: 1, retain: false } });
  const own = await connect(url(hub), { ...intruder, clientId: 'hall-plug-2', will: { topic: 'ourhome/groundfloor/hall/plug/status', payload: Buffer.from('offline'), qos: 1, retain: false } });
  void own;
  await kill(hub);

  const again = await start();
  const { client: back, got } = await connectKeeping(url(again), { ...admin, clientId: 'watcher', clean: false });
  t.after(() => end(back));
  await waitFor(() => got.some((m) => m.topic === 'ourhome/groundfloor/hall/plug/status'), 5000, 'the permitted will');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got.filter((m) => m.topic === 'ourhome/groundfloor/hall/lamp/set'), [], 'the refused will was never published');
});
