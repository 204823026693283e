import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { coalesceMs } from '../../server/realtime/protocol.js';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, coalesceMs * 2));

test('rename, move and delete reach every dashboard as deltas; members may not; cookie writes must be JSON', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/hall/light', 'OFF');
  await waitFor(() => hub.hub.registry.size === 1);
  await hub.hub.users.create('mia', 'member-password', 'member');
  await settle();
  const admin = await session(hub.httpUrl, 'admin', adminPassword);
  const member = await session(hub.httpUrl, 'mia', 'member-password');
  const live = await liveConnect(hub.httpUrl, { cookie: await sessionCookie(hub.httpUrl, 'mia', 'member-password') });
  t.after(() => live.socket.close());
  const id = 'ourhome-groundfloor-hall-light';
  const renamed = await admin.call('PATCH', `/api/devices/${id}`, { name: '  Porch lamp ', room: 'porch', floor: null });
  assert.equal(renamed.status, 200);
  assert.deepEqual([renamed.body.device.name, renamed.body.device.room, renamed.body.device.floor], ['Porch lamp', 'Porch', undefined], 'free text joins (or makes) an area, prettified');
  const moved = await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.device?.name === 'Porch lamp'));
  assert.equal(moved.device!.room, 'Porch');

  assert.equal((await member.call('PATCH', `/api/devices/${id}`, { name: 'mine' })).status, 403);
  assert.equal((await admin.call('PATCH', `/api/devices/${id}`, { name: '' })).status, 400);
  assert.equal((await admin.call('PATCH', `/api/devices/${id}`, { owner: 'me' })).status, 400, 'only name, floor and room');
  // A cross-site form could send this body, but not as JSON: refused.
  const form = await admin.call('PATCH', `/api/devices/${id}`, 'name=evil', { 'content-type': 'text/plain' });
  assert.equal(form.status, 403);
  assert.equal(hub.hub.registry.get(id)?.name, 'Porch lamp');

  assert.equal((await member.call('DELETE', `/api/devices/${id}`)).status, 403);
  assert.equal((await admin.call('DELETE', `/api/devices/${id}`)).status, 200);
  await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.id === id && d.removed));
  assert.equal((await admin.call('DELETE', `/api/devices/${id}`)).status, 404);
});

test('a command for the value the device already has is acknowledged and never left pending', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/hall/light', 'ON');
  await waitFor(() => hub.hub.registry.size === 1);
  await settle();
  const live = await liveConnect(hub.httpUrl, { cookie: await sessionCookie(hub.httpUrl, 'admin', adminPassword) });
  t.after(() => live.socket.close());
  assert.deepEqual(await live.socket.emitWithAck('command', { deviceId: 'ourhome-groundfloor-hall-light', property: 'light', value: true }), { ok: true });
  await settle();
  assert.deepEqual(live.batches.flatMap((b) => b.devices).filter((d) => d.pending?.light), []);
});

test('users: admins add and remove people, the last admin stays, a removed user\'s dashboard closes', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = await session(hub.httpUrl, 'admin', adminPassword);
  const created = await admin.call('POST', '/api/users', { username: 'mia', password: 'member-password', role: 'member' });
  assert.equal(created.status, 201);
  assert.equal(created.body.user.role, 'member');
  assert.equal((await admin.call('POST', '/api/users', { username: 'mia', password: 'member-password', role: 'member' })).status, 409);
  assert.equal((await admin.call('POST', '/api/users', { username: 'bo', password: 'short', role: 'member' })).status, 400);
  const users = await admin.call('GET', '/api/users');
  assert.deepEqual(users.body.users.map((u: { username: string; role: string }) => [u.username, u.role]), [['admin', 'admin'], ['mia', 'member']]);
  assert.equal(JSON.stringify(users.body).includes('hash'), false, 'no password hashes leave the hub');

  const miaCookie = await sessionCookie(hub.httpUrl, 'mia', 'member-password');
  const member = await session(hub.httpUrl, 'mia', 'member-password');
  assert.equal((await member.call('GET', '/api/users')).status, 403);
  assert.equal((await admin.call('PATCH', '/api/users/admin', { role: 'member' })).status, 409, 'not yourself, not the last admin');
  assert.equal((await admin.call('DELETE', '/api/users/admin')).status, 409);

  const live = await liveConnect(hub.httpUrl, { cookie: miaCookie });
  t.after(() => live.socket.close());
  let ended = false;
  live.socket.on('session', () => void (ended = true));
  assert.equal((await admin.call('DELETE', '/api/users/mia')).status, 200);
  await waitFor(() => ended && !live.socket.connected, 2000, 'mia\'s socket closed');
  assert.equal((await member.call('GET', '/api/devices')).status, 401, 'her session ended with her');
  assert.equal((await (await fetch(`${hub.httpUrl}/api/auth/status`)).json() as { setupRequired: boolean }).setupRequired, false);
});

interface Session {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

/** REST as a logged-in browser would: the session cookie, JSON bodies (a string body is sent as it is). */
async function session(base: string, username: string, password: string): Promise<Session> {
  const cookie = await sessionCookie(base, username, password);
  return {
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: text };
      }
    },
  };
}
