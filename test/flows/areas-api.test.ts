import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { adminPassword, connect, deviceAccount, end, publish, startHub, tempDir, waitFor, type TestHub } from '../helpers/hub.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { Database, DB_FILE_NAME } from '../../server/store/index.js';
import { migrate, migrations } from '../../server/store/migrations.js';
import type { AreaView } from '../../server/realtime/protocol.js';
import path from 'node:path';
import { removeWhenDone } from '../helpers/remove-when-done.js';

interface Session {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

async function session(base: string, username: string, password: string): Promise<Session> {
  const cookie = await sessionCookie(base, username, password);
  return {
    async call(method, p, body) {
      const res = await fetch(`${base}${p}`, { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** A rumah.db as rumah before migration 7 left it: devices with free-text floors and rooms, typed three ways. */
async function seedVersion6(dataDir: string): Promise<void> {
  const log = pino({ level: 'silent' });
  const db = await Database.open(path.join(dataDir, DB_FILE_NAME), log);
  await migrate(db, log, migrations.filter((m) => m.version <= 6));
  const device = (id: string, floor?: string, room?: string) => ({
    id, name: id, convention: 'native', topic: `old/${id}`, floor, room, capabilities: [], availability: 'online', createdAt: 1,
  });
  for (const d of [
    device('a-lamp', 'Firstfloor', 'kitchen'), device('b-lamp', 'First floor', 'Kitchen'), device('c-lamp', 'first_floor', 'livingroom'),
    device('d-lamp', 'groundfloor', 'hall'), device('e-lamp'),
  ]) {
    await db.run('INSERT INTO devices (id, json, owner, updated_at) VALUES (?, ?, NULL, 1)', [d.id, JSON.stringify(d)]);
  }
  await db.close();
}

const names = (areas: AreaView[]): string[] => areas.map((a) => (a.kind === 'floor' ? a.name : `${areas.find((f) => f.id === a.floorId)?.name} / ${a.name}`));
const place = (hub: TestHub, id: string): [string | undefined, string | undefined] => [hub.hub.registry.get(id)?.floor, hub.hub.registry.get(id)?.room];

test('free-text floors and rooms of an older rumah.db become areas, deduplicated; they stay one after a restart', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  await seedVersion6(dataDir);
  let hub = await startHub({}, { dataDir });
  let admin = await session(hub.httpUrl, 'admin', adminPassword);
  const listed = (await admin.call('GET', '/api/areas')).body.areas as AreaView[];
  assert.deepEqual(names(listed), ['First floor', 'Ground floor', 'First floor / Kitchen', 'First floor / Living room', 'Ground floor / Hall']);
  assert.deepEqual(place(hub, 'a-lamp'), ['First floor', 'Kitchen']);
  assert.deepEqual(place(hub, 'b-lamp'), ['First floor', 'Kitchen']);
  assert.deepEqual(place(hub, 'c-lamp'), ['First floor', 'Living room']);
  assert.deepEqual(place(hub, 'e-lamp'), [undefined, undefined]);
  await hub.stop();

  hub = await startHub({}, { dataDir });
  t.after(() => hub.stop());
  admin = await session(hub.httpUrl, 'admin', adminPassword);
  assert.deepEqual((await admin.call('GET', '/api/areas')).body.areas, listed, 'saved, and not made again');
  assert.deepEqual((await admin.call('GET', '/api/devices/a-lamp')).body.device.floor, 'First floor', 'the devices were saved with their area names');
});

test('areas: create, rename, reorder, delete once for all devices; bulk move and forget; admins only; validated and bounded', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await hub.hub.users.create('mia', 'member-password', 'member');
  const admin = await session(hub.httpUrl, 'admin', adminPassword);
  const member = await session(hub.httpUrl, 'mia', 'member-password');
  const live = await liveConnect(hub.httpUrl, { cookie: await sessionCookie(hub.httpUrl, 'mia', 'member-password') });
  t.after(() => live.socket.close());
  const pushed: AreaView[][] = [];
  live.socket.on('areas', (list) => void pushed.push(list.areas));

  await t.test('a new device: its topic levels become prettified areas and a prettified name, once', async () => {
    await publish(device, 'ourhome/groundfloor/livingroom/ceilinglight', 'OFF');
    await publish(device, 'ourhome/ground_floor/livingroom/lamp', 'OFF');
    await waitFor(() => hub.hub.registry.size === 2);
    const lamp = hub.hub.registry.get('ourhome-ground_floor-livingroom-lamp')!;
    assert.deepEqual([lamp.name, lamp.floor, lamp.room], ['Living room lamp', 'Ground floor', 'Living room']);
    assert.equal(hub.hub.registry.get('ourhome-groundfloor-livingroom-ceilinglight')!.name, 'Living room ceiling light');
    assert.deepEqual(names((await member.call('GET', '/api/areas')).body.areas), ['Ground floor', 'Ground floor / Living room']);
    await waitFor(() => pushed.at(-1)?.length === 2, 5000, 'the areas pushed to the dashboard');
    // Rules written against the topic's words still select the devices (areas are matched by key).
    assert.deepEqual(hub.hub.rules.devices.select('area:groundfloor/livingroom').map((d) => d.id).sort(), ['ourhome-ground_floor-livingroom-lamp', 'ourhome-groundfloor-livingroom-ceilinglight']);
    // A user's name is never prettified over.
    assert.equal((await admin.call('PATCH', '/api/devices/ourhome-ground_floor-livingroom-lamp', { name: 'reading lamp' })).status, 200);
    await publish(device, 'ourhome/ground_floor/livingroom/lamp', 'ON');
    await waitFor(() => hub.hub.states.value('ourhome-ground_floor-livingroom-lamp', 'lamp') === true);
    assert.equal(hub.hub.registry.get('ourhome-ground_floor-livingroom-lamp')!.name, 'reading lamp');
  });

  const lamp = 'ourhome-ground_floor-livingroom-lamp';
  const ceiling = 'ourhome-groundfloor-livingroom-ceilinglight';
  let first: AreaView;
  let kitchen: AreaView;

  await t.test('only admins change areas; bad requests get a 4xx with a message', async () => {
    assert.equal((await member.call('POST', '/api/areas', { kind: 'floor', name: 'Attic' })).status, 403);
    assert.equal((await member.call('POST', '/api/devices/bulk', { action: 'forget', ids: [lamp] })).status, 403);
    const noFloor = await admin.call('POST', '/api/areas', { kind: 'room', name: 'Kitchen' });
    assert.equal(noFloor.status, 400);
    assert.match(noFloor.body.error.message, /a room needs its floor/);
    assert.equal((await admin.call('POST', '/api/areas', { kind: 'floor', name: '' })).status, 400);
    assert.equal((await admin.call('POST', '/api/areas', { kind: 'floor', name: 'x'.repeat(129) })).status, 400);
    assert.equal((await admin.call('POST', '/api/areas', { kind: 'hall', name: 'x' })).status, 400);
    const twin = await admin.call('POST', '/api/areas', { kind: 'floor', name: 'GROUND-floor' });
    assert.equal(twin.status, 409);
    assert.match(twin.body.error.message, /exists already/);
    assert.equal((await admin.call('PATCH', '/api/areas/9999', { name: 'x' })).status, 404);
    assert.equal((await admin.call('PATCH', '/api/areas/abc', { name: 'x' })).status, 400);
    const many = await admin.call('POST', '/api/devices/bulk', { action: 'forget', ids: Array.from({ length: 1001 }, (_, i) => `d${i}`) });
    assert.equal(many.status, 400);
    assert.match(many.body.error.message, /at most 1000 ids/);
    assert.equal((await admin.call('POST', '/api/devices/bulk', { action: 'explode', ids: [lamp] })).status, 400);
    assert.equal((await admin.call('POST', '/api/devices/bulk', { action: 'move', ids: [lamp], areaId: 9999 })).status, 404);
    assert.equal(hub.hub.registry.size, 2, 'nothing was forgotten');
  });

  await t.test('create and order: a floor and a room; position moves a floor first', async () => {
    first = (await admin.call('POST', '/api/areas', { kind: 'floor', name: 'First floor' })).body.area;
    kitchen = (await admin.call('POST', '/api/areas', { kind: 'room', name: 'Kitchen', floorId: first.id })).body.area;
    assert.equal(kitchen.floorId, first.id);
    assert.deepEqual(names((await admin.call('GET', '/api/areas')).body.areas), ['Ground floor', 'First floor', 'Ground floor / Living room', 'First floor / Kitchen']);
    assert.equal((await admin.call('PATCH', `/api/areas/${first.id}`, { position: 0 })).status, 200);
    assert.deepEqual(names((await admin.call('GET', '/api/areas')).body.areas), ['First floor', 'Ground floor', 'First floor / Kitchen', 'Ground floor / Living room']);
  });

  await t.test('bulk move picks an area; free text through the old PATCH joins the same area', async () => {
    const moved = await admin.call('POST', '/api/devices/bulk', { action: 'move', ids: [lamp, ceiling, 'gone'], areaId: kitchen.id });
    assert.deepEqual(moved.body, { ok: true, done: 2, missing: ['gone'] });
    assert.deepEqual(place(hub, lamp), ['First floor', 'Kitchen']);
    const typed = await admin.call('PATCH', `/api/devices/${ceiling}`, { floor: 'firstfloor', room: 'KITCHEN' });
    assert.deepEqual([typed.body.device.floor, typed.body.device.room], ['First floor', 'Kitchen'], 'no second "Firstfloor"');
    assert.equal((await admin.call('GET', '/api/areas')).body.areas.length, 4);
    const picked = await admin.call('PATCH', `/api/devices/${ceiling}`, { areaId: first.id });
    assert.deepEqual([picked.body.device.floor, picked.body.device.room], ['First floor', undefined]);
  });

  await t.test('rename once for all its devices; delete leaves them unassigned', async () => {
    assert.equal((await admin.call('PATCH', `/api/areas/${first.id}`, { name: 'Upstairs' })).status, 200);
    assert.deepEqual(place(hub, lamp), ['Upstairs', 'Kitchen']);
    assert.deepEqual(place(hub, ceiling), ['Upstairs', undefined]);
    const seen = await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.id === lamp && d.device?.floor === 'Upstairs'));
    assert.equal(seen.device!.room, 'Kitchen');
    // A device still publishing under the old word lands in the renamed floor, not in a new "First floor".
    await publish(device, 'ourhome/firstfloor/kitchen/kettle', 'OFF');
    await waitFor(() => hub.hub.registry.get('ourhome-firstfloor-kitchen-kettle'), 5000, 'the kettle');
    assert.deepEqual(place(hub, 'ourhome-firstfloor-kitchen-kettle'), ['Upstairs', 'Kitchen']);
    assert.equal((await admin.call('GET', '/api/areas')).body.areas.length, 4, 'no area made');
    assert.equal((await admin.call('DELETE', '/api/devices/ourhome-firstfloor-kitchen-kettle')).status, 200);
    const room = await admin.call('DELETE', `/api/areas/${kitchen.id}`);
    assert.deepEqual(room.body, { ok: true, unassigned: 1, rooms: 0 });
    assert.deepEqual(place(hub, lamp), ['Upstairs', undefined], 'a deleted room leaves its devices on their floor');
    await admin.call('POST', '/api/areas', { kind: 'room', name: 'Study', floorId: first.id });
    const floor = await admin.call('DELETE', `/api/areas/${first.id}`);
    assert.deepEqual(floor.body, { ok: true, unassigned: 2, rooms: 1 });
    assert.deepEqual(place(hub, lamp), [undefined, undefined]);
    assert.deepEqual(names((await admin.call('GET', '/api/areas')).body.areas), ['Ground floor', 'Ground floor / Living room']);
  });

  await t.test('bulk forget', async () => {
    const forgot = await admin.call('POST', '/api/devices/bulk', { action: 'forget', ids: [lamp, ceiling] });
    assert.deepEqual(forgot.body, { ok: true, done: 2, missing: [] });
    assert.equal(hub.hub.registry.size, 0);
  });
});

test('areas made by one account\'s topics are bounded: past 200 its new devices stay without an area; an admin still adds', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  // Each device names a new floor and a new room: 100 devices make 200 areas, the account's share.
  for (let i = 0; i < 101; i++) await publish(device, `ourhome/f${i}/r${i}/lamp`, 'OFF', { qos: 1 });
  await waitFor(() => hub.hub.registry.size === 101, 10_000, '101 devices');
  assert.equal(hub.hub.areas.list().length, 200);
  assert.deepEqual(place(hub, 'ourhome-f99-r99-lamp'), ['F99', 'R99']);
  assert.deepEqual(place(hub, 'ourhome-f100-r100-lamp'), [undefined, undefined], 'the 101st device has no area');
  const admin = await session(hub.httpUrl, 'admin', adminPassword);
  assert.equal((await admin.call('POST', '/api/areas', { kind: 'floor', name: 'Attic' })).status, 201);
});
