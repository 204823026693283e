import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Device } from '../../../server/core/model.js';
import { change, openTestStore } from './helpers.js';

function device(id: string, owner?: string): Device {
  return {
    id,
    name: `Device ${id}`,
    convention: 'native',
    topic: `home/${id}`,
    capabilities: [{ property: 'temperature', kind: 'numeric', access: { reported: true, settable: false, readable: false }, unit: '°C' }],
    availability: 'online',
    owner,
    createdAt: 1_700_000_000_000,
  };
}

test('devices: upsert inserts then replaces; all returns them whole', async (t) => {
  const store = await openTestStore(t);
  await store.devices.upsert(device('b', 'acc1'));
  await store.devices.upsert(device('a', 'acc1'));
  await store.devices.upsert({ ...device('a', 'acc2'), name: 'Renamed' });
  const all = await store.devices.all();
  assert.deepEqual(all.map((d) => [d.id, d.name, d.owner]), [['a', 'Renamed', 'acc2'], ['b', 'Device b', 'acc1']]);
  assert.deepEqual(all[1], JSON.parse(JSON.stringify(device('b', 'acc1'))));
  assert.equal((await store.devices.get('a'))?.name, 'Renamed');
  assert.equal(await store.devices.get('zz'), undefined);
});

test('devices: countByOwner counts per owner', async (t) => {
  const store = await openTestStore(t);
  await store.devices.upsert(device('a', 'acc1'));
  await store.devices.upsert(device('b', 'acc1'));
  await store.devices.upsert(device('c', 'acc2'));
  await store.devices.upsert(device('d'));
  assert.equal(await store.devices.countByOwner('acc1'), 2);
  assert.equal(await store.devices.countByOwner('acc2'), 1);
  assert.equal(await store.devices.countByOwner('nobody'), 0);
});

test('devices: remove deletes the device and its state, reports whether it existed', async (t) => {
  const store = await openTestStore(t);
  await store.devices.upsert(device('a'));
  await store.devices.upsert(device('b'));
  store.writer.enqueue(change('a', 'temperature', 21, 1000));
  store.writer.enqueue(change('b', 'temperature', 22, 1000));
  await store.writer.flush();
  assert.equal(await store.devices.remove('a'), true);
  assert.equal(await store.devices.remove('a'), false);
  assert.deepEqual((await store.devices.all()).map((d) => d.id), ['b']);
  assert.deepEqual((await store.state.all()).map((s) => s.deviceId), ['b']);
});

test('state: holds the last value of each property with its time and cause', async (t) => {
  const store = await openTestStore(t);
  store.writer.enqueue(change('lamp', 'on', false, 1000));
  store.writer.enqueue(change('lamp', 'on', true, 2000));
  store.writer.enqueue(change('lamp', 'color', { r: 1, g: 2, b: 3 }, 1500));
  await store.writer.flush();
  store.writer.enqueue({ ...change('lamp', 'on', 'ON', 3000), cause: { kind: 'rule', id: 'r1', parent: { kind: 'device', id: 'button' } } });
  await store.writer.flush();
  assert.deepEqual(await store.state.all(), [
    { deviceId: 'lamp', property: 'color', state: { value: { r: 1, g: 2, b: 3 }, ts: 1500, cause: { kind: 'device', id: 'lamp' } } },
    { deviceId: 'lamp', property: 'on', state: { value: 'ON', ts: 3000, cause: { kind: 'rule', id: 'r1', parent: { kind: 'device', id: 'button' } } } },
  ]);
  assert.equal((await store.state.forDevice('lamp')).length, 2);
  assert.equal((await store.state.forDevice('other')).length, 0);
});

test('settings: get, set (JSON values), delete', async (t) => {
  const store = await openTestStore(t);
  assert.equal(await store.settings.get('ui'), undefined);
  await store.settings.set('ui', { theme: 'dark', cols: 3 });
  await store.settings.set('n', 42);
  await store.settings.set('ui', { theme: 'light' });
  assert.deepEqual(await store.settings.get('ui'), { theme: 'light' });
  assert.equal(await store.settings.get<number>('n'), 42);
  assert.equal(await store.settings.delete('n'), true);
  assert.equal(await store.settings.delete('n'), false);
  assert.equal(await store.settings.get('n'), undefined);
});
