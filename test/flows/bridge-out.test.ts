import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { defaults, type Config } from '../../server/config/schema.js';
import { Hub } from '../../server/hub.js';
import { adminPassword, connect, startHub, tempDir } from '../helpers/hub.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const admin = { username: 'admin', password: adminPassword };
const skip = mosquittoBin() ? false : 'mosquitto is not installed';

test('an outbound bridge sends `out` topics to a real mosquitto with its prefixes, and brings `in` topics into the hub', { skip }, async (t) => {
  const remote = await startMosquitto([]);
  t.after(() => remote.stop());
  const hub = await startHub({
    bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, topics: ['sensors/# out 1 home/ site1/', { pattern: 'cmd/#', direction: 'in', qos: 1, local: 'from-cloud/', remote: '' }] })],
  });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');

  const far = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'far' });
  t.after(() => far.end(true));
  const farGot = collect(far);
  await subscribe(far, '#');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  const localGot = collect(local);
  await subscribe(local, 'from-cloud/#');

  await publish(local, 'home/sensors/hall/temperature', '21.5');
  await publish(local, 'home/other', 'not bridged');
  await until('the message at the remote', () => farGot.length >= 1);
  assert.deepEqual(farGot, ['site1/sensors/hall/temperature 21.5']);

  await publish(far, 'cmd/lamp', 'on');
  await publish(far, 'elsewhere', 'not bridged');
  await until('the message in the hub', () => localGot.length >= 1);
  assert.deepEqual(localGot, ['from-cloud/cmd/lamp on']);
  const view = linkOf(hub.hub);
  assert.equal(view.messagesOut, 1);
  assert.equal(view.messagesIn, 1);
  assert.equal(view.queueDepth, 0, 'acknowledged messages leave the queue');
  assert.ok(!JSON.stringify(hub.hub.bridges!.view()).includes('password'));
});

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 4 ? '3.1.1 (bridge bit)' : '5 (No Local)'}: \`both\` on the same topic sends a message once each way, no echo, no storm`, { skip }, async (t) => {
    const remote = await startMosquitto([]);
    t.after(() => remote.stop());
    const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, topics: ['loop/# both 1'] })] });
    t.after(() => hub.stop());
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');

    const far = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'far' });
    t.after(() => far.end(true));
    const farGot = collect(far);
    await subscribe(far, 'loop/#');
    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => local.end(true));
    const localGot = collect(local);
    await subscribe(local, 'loop/#');

    await publish(far, 'loop/a', 'from far');
    await publish(local, 'loop/b', 'from near');
    // A sentinel each way after them: once both arrived on both sides, any echo of the first two had its turn.
    await publish(far, 'loop/end', 'far');
    await publish(local, 'loop/end', 'near');
    const ends = (got: string[]) => got.filter((m) => m.startsWith('loop/end')).length;
    await until('the sentinels on both sides', () => ends(farGot) >= 2 && ends(localGot) >= 2);
    await new Promise((r) => setTimeout(r, 500));
    const count = (got: string[], m: string) => got.filter((x) => x === m).length;
    for (const [side, got] of [['remote', farGot], ['hub', localGot]] as const) {
      assert.equal(count(got, 'loop/a from far'), 1, `${side}: the remote's message once (${got.join(', ')})`);
      assert.equal(count(got, 'loop/b from near'), 1, `${side}: the hub's message once (${got.join(', ')})`);
      assert.equal(got.length, 4, `${side}: nothing else (${got.join(', ')})`);
    }
    const view = linkOf(hub.hub);
    assert.equal(view.messagesOut, 2, 'the hub sent its own two messages out, not the ones that came in');
    assert.equal(view.messagesIn, 2, 'the remote sent only its own two messages in');
  });
}

test('a remote message larger than mqtt.maxPacketSize is not brought in, and counted', { skip }, async (t) => {
  const remote = await startMosquitto([]);
  t.after(() => remote.stop());
  const hub = await startHub({ mqtt: { maxPacketSize: 2048 }, bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, topics: ['big/# in 1'] })] });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
  const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
  t.after(() => local.end(true));
  const localGot = collect(local);
  await subscribe(local, 'big/#');
  const far = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'far' });
  t.after(() => far.end(true));
  await publish(far, 'big/one', 'x'.repeat(4000));
  await publish(far, 'big/two', 'small');
  await until('the small message in the hub', () => localGot.length >= 1);
  assert.deepEqual(localGot, ['big/two small']);
  assert.equal(hub.hub.bridges!.counters(hub.hub.bridges!.links[0]!).tooLarge, 1);
});

test('a bridge whose CA file cannot be read stops the start with a coded configuration error naming it', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const config: Config = {
    ...defaults, dataDir, bind: '127.0.0.1', log: { level: 'silent' }, mqtt: { ...defaults.mqtt, port: 0 }, http: { ...defaults.http, port: 0 },
    bridges: [bridge({ name: 'cloud', url: 'mqtts://127.0.0.1:1', ca: 'missing-ca.pem', topics: ['a/# out 1'] })],
  };
  const hub = new Hub({ config, log: pino({ level: 'silent' }), adminPassword });
  await assert.rejects(hub.start(), (err: Error & { code?: string }) => err.code === 'RUMAH_ERR_CONFIG_INVALID' && /cloud: ca missing-ca\.pem cannot be read \(ENOENT\)/.test(err.message));
  await hub.stop();
});

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: QoS 1 and 2 messages of every size cross to mosquitto intact, retained ones kept retained`, { skip }, async (t) => {
    // The bridge encodes its PUBLISH packets itself (server/bridge/out-sender.ts): empty and large payloads (1- to
    // 3-byte remaining lengths), a topic longer than 255 bytes (both bytes of its length), UTF-8, QoS 2, RETAIN.
    const remote = await startMosquitto([]);
    t.after(() => remote.stop());
    const hub = await startHub({ bridges: [bridge({ url: `mqtt://127.0.0.1:${remote.port}`, protocolVersion, topics: ['x/# out 2 "" far/'] })] });
    t.after(() => hub.stop());
    await until('the bridge to connect', () => linkOf(hub.hub).state === 'connected');
    const far = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'far', protocolVersion });
    t.after(() => far.end(true));
    const got: Array<{ topic: string; payload: Buffer; qos: number }> = [];
    far.on('message', (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos }));
    await new Promise<void>((resolve, reject) => far.subscribe('far/#', { qos: 2 }, (err) => (err ? reject(err) : resolve())));
    const local = await connect(hub.mqttUrl, { ...admin, clientId: 'near' });
    t.after(() => local.end(true));
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));
    const sent: Array<{ topic: string; payload: Buffer; qos: 1 | 2; retain?: boolean }> = [
      { topic: 'x/empty', payload: Buffer.alloc(0), qos: 1 },
      { topic: 'x/one', payload: Buffer.from('a'), qos: 2 },
      { topic: 'x/é/😀', payload: Buffer.from('ünïcödé'), qos: 1 },
      { topic: `x/${'l'.repeat(300)}`, payload: Buffer.from('a long topic'), qos: 1 },
      { topic: 'x/200', payload: bytes(200), qos: 2 },
      { topic: 'x/20k', payload: bytes(20_000), qos: 1 },
      { topic: 'x/300k', payload: bytes(300_000), qos: 2 },
      { topic: 'x/retained', payload: Buffer.from('kept'), qos: 1, retain: true },
    ];
    // One at a time: mosquitto passes a QoS 2 message on at its PUBREL, so a QoS 1 message sent after it may arrive
    // first (MQTT orders messages of the same QoS [MQTT-4.6.0-6]); the order of a queue is bridge-out-queue.test.ts's.
    for (const [i, m] of sent.entries()) {
      await new Promise<void>((resolve, reject) => local.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain ?? false }, (err) => (err ? reject(err) : resolve())));
      await until(`${m.topic} at the remote`, () => got.length > i);
    }
    assert.deepEqual(got.map((m) => ({ topic: m.topic, payload: m.payload.toString('hex'), qos: m.qos })), sent.map((m) => ({ topic: `far/${m.topic}`, payload: m.payload.toString('hex'), qos: m.qos })));
    // Retained at the remote: a subscriber that comes later gets it, flagged retained.
    const late = await connect(`mqtt://127.0.0.1:${remote.port}`, { clientId: 'late', protocolVersion });
    t.after(() => late.end(true));
    const retained = new Promise<{ payload: string; retain: boolean }>((resolve) => late.on('message', (_topic, payload, packet) => resolve({ payload: payload.toString(), retain: packet.retain })));
    await subscribe(late, 'far/x/retained');
    assert.deepEqual(await retained, { payload: 'kept', retain: true });
    assert.equal(linkOf(hub.hub).queueDepth, 0, 'every message acknowledged');
    // QoS 0 goes the same way, without a packet identifier.
    await new Promise<void>((resolve, reject) => local.publish('x/zero', Buffer.from('0'), { qos: 0 }, (err) => (err ? reject(err) : resolve())));
    await until('the QoS 0 message at the remote', () => got.length > sent.length);
    assert.deepEqual(got.slice(sent.length).map((m) => [m.topic, m.payload.toString(), m.qos]), [['far/x/zero', '0', 0]]);
  });
}
