import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { liveConnect, liveRefusal, sessionCookie } from '../e2e/lib/socket-client.js';
import { adminPassword } from '../helpers/hub.js';
import { coalesceMs, type DeviceDelta } from '../../server/realtime/protocol.js';

const light = 'ourhome-groundfloor-hall-light';
/** Lets the batch of what happened before a connection go out first, so a test sees only what it caused. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, coalesceMs * 2));

test('an unauthenticated socket.io connection is refused, at the socket.io and at the engine.io level', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());

  const none = await liveRefusal(hub.httpUrl, {});
  assert.equal(none.data?.code, 'RUMAH_ERR_UNAUTHORIZED');
  const forged = await liveRefusal(hub.httpUrl, { cookie: 'rumah_session=not-a-session' });
  assert.equal(forged.data?.code, 'RUMAH_ERR_UNAUTHORIZED');
  const badToken = await liveRefusal(hub.httpUrl, { authorization: 'Bearer nope' });
  assert.equal(badToken.data?.code, 'RUMAH_ERR_UNAUTHORIZED');

  // Raw engine.io, as any script would speak it: the handshake opens a transport, the socket.io CONNECT is
  // answered with CONNECT_ERROR (44) and no event ever flows.
  const open = await fetch(`${hub.httpUrl}/socket.io/?EIO=4&transport=polling`);
  const sid = JSON.parse((await open.text()).slice(1)).sid as string;
  await fetch(`${hub.httpUrl}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40' });
  const answer = await (await fetch(`${hub.httpUrl}/socket.io/?EIO=4&transport=polling&sid=${sid}`)).text();
  assert.match(answer, /^44\{"message":"log in first.*"data":\{"code":"RUMAH_ERR_UNAUTHORIZED"\}\}/);

  // A page on another site cannot open a socket with the user's cookie: refused before any session exists.
  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const cross = await fetch(`${hub.httpUrl}/socket.io/?EIO=4&transport=polling`, { headers: { cookie, origin: 'http://evil.example' } });
  assert.equal(cross.status, 403);
});

test('snapshot on connect, then deltas coalesced per device with only the changed properties', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/firstfloor/bedroom/light', '{"state":"ON","brightness":10}');
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '20');
  await waitFor(() => hub.hub.registry.size === 2);
  await settle();

  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const live = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => live.socket.close());
  assert.deepEqual(live.snapshot.user, { username: 'admin', role: 'admin' });
  const bedroom = live.snapshot.devices.find((d) => d.id === 'ourhome-firstfloor-bedroom-light');
  assert.equal(bedroom?.state.brightness?.value, 10);
  assert.equal(bedroom?.room, 'Bedroom');
  assert.deepEqual(bedroom?.pending, {});

  // 30 reports in a burst: far fewer batches, each device at most once per batch, the last value wins.
  const t0 = Date.now();
  for (let i = 1; i <= 30; i++) publish(device, 'ourhome/firstfloor/bedroom/light', JSON.stringify({ brightness: i }));
  await publish(device, 'ourhome/firstfloor/kitchen/temperature', '21.5');
  const final = await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.state?.brightness?.value === 30), 5000, 'brightness 30');
  const elapsed = Date.now() - t0;
  assert.ok(live.batches.length <= Math.ceil(elapsed / coalesceMs) + 1, `${live.batches.length} batches in ${elapsed} ms`);
  for (const batch of live.batches) {
    const ids = batch.devices.map((d) => d.id);
    assert.equal(new Set(ids).size, ids.length, 'a device appears at most once per batch');
  }
  // Only what changed: brightness, not the unchanged state "ON".
  assert.deepEqual(Object.keys(final.state!), ['brightness']);
  const kitchen = await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.id === 'ourhome-firstfloor-kitchen-temperature'));
  assert.equal(kitchen.state?.temperature?.value, 21.5);
  assert.ok(kitchen.lastSeen && kitchen.lastSeen >= t0);
});

test('a command over the socket: acknowledged, published in the device\'s words, pending until the device confirms', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  // Devices may subscribe only to their own command topics; an admin's MQTT client may watch the whole house.
  const observer = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  t.after(() => end(observer));
  await subscribe(observer, 'ourhome/#');
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  await publish(device, 'ourhome/groundfloor/hall/temperature', '19');
  await waitFor(() => hub.hub.registry.get(light));
  await hub.hub.users.create('mia', 'member-password', 'member');
  await settle();

  const cookie = await sessionCookie(hub.httpUrl, 'mia', 'member-password');
  const live = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => live.socket.close());
  assert.equal(live.snapshot.user.role, 'member');

  const sent = nextMessage(observer, (topic) => topic === 'ourhome/groundfloor/hall/light/set');
  assert.deepEqual(await live.socket.emitWithAck('command', { deviceId: light, property: 'light', value: true }), { ok: true });
  assert.equal((await sent).payload, 'ON');
  const deltasOf = (): DeviceDelta[] => live.batches.flatMap((b) => b.devices).filter((d) => d.id === light);
  const pending = await waitFor(() => deltasOf().find((d) => d.pending?.light), 2000, 'pending');
  assert.deepEqual({ value: pending.pending!.light!.value, cause: pending.pending!.light!.cause }, { value: true, cause: { kind: 'user', id: 'mia' } });
  // A second dashboard connecting now sees the command pending in its snapshot.
  const other = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => other.socket.close());
  assert.equal(other.snapshot.devices.find((d) => d.id === light)?.pending.light?.value, true);

  await publish(device, 'ourhome/groundfloor/hall/light', 'ON');
  const confirmed = await waitFor(() => deltasOf().find((d) => d.state?.light), 2000, 'confirmation');
  assert.equal(confirmed.state!.light!.value, true);
  assert.equal(confirmed.pending?.light, null);

  const errors = await Promise.all([
    live.socket.emitWithAck('command', { deviceId: light, property: 'light', value: 'maybe' as never }),
    live.socket.emitWithAck('command', { deviceId: 'nope', property: 'light', value: true }),
    live.socket.emitWithAck('command', { deviceId: 'ourhome-groundfloor-hall-temperature', property: 'temperature', value: 5 }),
    live.socket.emitWithAck('command', { deviceId: 42, property: [] } as never),
  ]);
  assert.deepEqual(errors.map((e) => (e.ok ? 'ok' : e.error)), ['RUMAH_ERR_INVALID_VALUE', 'RUMAH_ERR_NOT_FOUND', 'RUMAH_ERR_NOT_SETTABLE', 'RUMAH_ERR_BAD_REQUEST']);
  assert.match((errors[3] as { message: string }).message, /deviceId.*property/);
});

test('logging out closes the sockets of that session; other sessions stay', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const first = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const second = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const a = await liveConnect(hub.httpUrl, { cookie: first });
  const b = await liveConnect(hub.httpUrl, { cookie: second });
  t.after(() => (a.socket.close(), b.socket.close()));
  let ended = false;
  a.socket.on('session', () => void (ended = true));
  const res = await fetch(`${hub.httpUrl}/api/auth/logout`, { method: 'POST', headers: { cookie: first, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
  await waitFor(() => !a.socket.connected, 2000, 'socket closed');
  assert.equal(ended, true);
  assert.equal(b.socket.connected, true);
  const again = await liveRefusal(hub.httpUrl, { cookie: first });
  assert.equal(again.data?.code, 'RUMAH_ERR_UNAUTHORIZED');
});

test('an API token opens a socket as an admin', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const token = await hub.hub.store.apiTokens.create('script');
  const live = await liveConnect(hub.httpUrl, {}, { token });
  t.after(() => live.socket.close());
  assert.deepEqual(live.snapshot.user, { username: 'token:script', role: 'admin' });
});
