// Another broker bridging into rumah with its defaults (issue 17, item 1). mosquitto's bridge connects with the
// bridge bit (try_private) and publishes its state on `$SYS/broker/connection/<client id>/state` (notifications);
// rumah closed every MQTT 3.1.1 connection that published on `$SYS/`, so the bridge reconnected every ~6 s forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { adminPassword, connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';

const exec = promisify(execFile);
const admin = { username: 'admin', password: adminPassword };

test('a mosquitto bridge with its default settings stays connected, carries messages both ways, and shows as a bridge', { skip: mosquittoBin() ? false : 'mosquitto is not installed' }, async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  // A bridge account limited to the topics it carries: its own state topic is still its to publish.
  const account = await api.post('/api/accounts', { username: 'site2-bridge', acl: ['site2/#'] });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const sessions: string[] = [];
  hub.hub.bus.on('clientConnected', 'test', (e) => void (e.username === 'site2-bridge' && sessions.push(`connected ${e.clientId}`)));
  hub.hub.bus.on('clientDisconnected', 'test', (e) => void (e.username === 'site2-bridge' && sessions.push(`disconnected ${e.clientId} ${e.reason}`)));
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  await subscribe(watcher, 'site2/#');
  await subscribe(watcher, '$SYS/broker/connection/+/state');
  const stateSeen = nextMessage(watcher, (topic) => topic.startsWith('$SYS/broker/connection/'), 15_000);

  // Only what a user must give: where, who, and which topics. Everything else is mosquitto's default.
  const remote = await startMosquitto([
    'connection rumah',
    `address 127.0.0.1:${new URL(hub.mqttUrl).port}`,
    'remote_username site2-bridge',
    `remote_password ${account.body.password}`,
    'topic site2/# both 1',
  ]);
  t.after(() => remote.stop());
  const state = await stateSeen;
  assert.equal(state.payload, '1', 'the bridge says it is up');
  const clientId = state.topic.split('/')[3]!;

  // In: a sensor on the remote site publishes to mosquitto; the bridge carries it into rumah.
  const arrived = nextMessage(watcher, (topic) => topic === 'site2/kitchen/temperature', 10_000);
  await exec('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(remote.port), '-q', '1', '-t', 'site2/kitchen/temperature', '-m', '21.5'], { timeout: 10_000 });
  assert.equal((await arrived).payload, '21.5');
  // Out: rumah publishes under site2/; the bridge carries it to the remote site.
  const sub = exec('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(remote.port), '-t', 'site2/garage/door/set', '-C', '1', '-W', '15'], { timeout: 20_000 });
  await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribing
  const admin2 = await connect(hub.mqttUrl, admin);
  t.after(() => end(admin2));
  await waitFor(async () => {
    await publish(admin2, 'site2/garage/door/set', 'open', { qos: 1 });
    return (await Promise.race([sub.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))])) as boolean;
  }, 15_000, 'the message carried out to mosquitto');
  assert.equal((await sub).stdout.trim(), 'open');

  // One connection all along: before, the state publish closed it and mosquitto came back every ~6 s.
  assert.deepEqual(sessions, [`connected ${clientId}`], remote.output().split('\n').filter((l) => /rumah|Connect|Socket/i.test(l)).slice(-10).join('\n'));
  const view = (await api.get('/api/broker')).body as { clients: Array<{ clientId: string; username?: string; bridge?: { state: string; messagesIn: number; topics: string[] } }> };
  const bridge = view.clients.find((c) => c.clientId === clientId);
  assert.equal(bridge?.username, 'site2-bridge');
  assert.equal(bridge?.bridge?.state, 'up');
  assert.ok(bridge!.bridge!.messagesIn >= 1);
  assert.ok(bridge!.bridge!.topics.includes('site2/kitchen/temperature'), JSON.stringify(bridge));
  // Its state is not kept as a retained message (one per client id would be storage without a quota).
  const late = await connect(hub.mqttUrl, admin);
  t.after(() => end(late));
  const retained: string[] = [];
  late.on('message', (topic, _p, packet) => void (packet.retain && retained.push(topic)));
  await subscribe(late, '$SYS/broker/connection/#');
  await publish(late, 'site2/marker', 'm', { qos: 1 });
  assert.deepEqual(retained, []);
});

test('an MQTT 3.1.1 publish on $SYS/ (or another client\'s connection state) is acknowledged and dropped; the connection stays', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  const sys: string[] = [];
  watcher.on('message', (topic, payload) => void (topic.startsWith('$SYS/broker/connection/') || topic.startsWith('$SYS/rumah/x') ? sys.push(`${topic} ${payload}`) : undefined));
  await subscribe(watcher, '$SYS/#', 0);
  const device = await connect(hub.mqttUrl, { ...(await deviceAccount(hub)), clientId: 'sensor-1' });
  t.after(() => end(device));
  let closed = false;
  device.on('close', () => (closed = true));
  await publish(device, '$SYS/rumah/x', 'spoof', { qos: 1 });
  await publish(device, '$SYS/broker/connection/other-bridge/state', '0', { qos: 1 });
  await publish(device, '$SYS/broker/connection/sensor-1/state', '1', { qos: 1 });
  await publish(device, 'ourhome/attic/box/temperature', '20', { qos: 1 });
  await waitFor(() => sys.length >= 1, 5000, 'its own state');
  assert.equal(closed, false);
  assert.deepEqual(sys, ['$SYS/broker/connection/sensor-1/state 1']);
});
