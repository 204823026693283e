import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AreaView } from '../../../server/realtime/protocol.js';
import { importWebModule } from '../../helpers/web-module.js';

interface Row {
  id: string; name: string; topic: string; convention: string; availability: string; floor?: string; room?: string; owner?: string;
  lastSeen?: number; capabilities: []; createdAt: number; state: Record<string, { value: unknown; ts: number }>; pending: Record<string, never>; unconfirmed: Record<string, never>;
}
type Query = { text: string; area: string; convention: string; availability: string; sort: string; descending: boolean };
const { selectDevices } = await importWebModule<{ selectDevices(d: Row[], a: AreaView[], q: Query): Row[] }>('web/src/pages/devices-filter.ts');

const areas: AreaView[] = [
  { id: 1, kind: 'floor', name: 'Ground floor', position: 1 },
  { id: 2, kind: 'floor', name: 'First floor', position: 0 },
  { id: 3, kind: 'room', name: 'Kitchen', floorId: 1, position: 0 },
  { id: 4, kind: 'room', name: 'Bedroom', floorId: 2, position: 0 },
];
const row = (id: string, extra: Partial<Row> = {}): Row => ({
  id, name: id, topic: `home/${id}`, convention: 'native', availability: 'online', capabilities: [], createdAt: 0, state: {}, pending: {}, unconfirmed: {}, ...extra,
});
const devices = [
  row('fridge', { floor: 'Ground floor', room: 'Kitchen', state: { battery: { value: 80, ts: 0 } } }),
  row('window', { floor: 'First floor', room: 'Bedroom', state: { battery: { value: 10, ts: 0 } }, availability: 'stale' }),
  row('lamp', { floor: 'Ground floor', topic: 'zigbee2mqtt/desk', convention: 'zigbee2mqtt' }),
  row('porch', { availability: 'offline' }),
];
const q = (patch: Partial<Query>): Query => ({ text: '', area: '', convention: '', availability: '', sort: 'name', descending: false, ...patch });
const ids = (patch: Partial<Query>): string[] => selectDevices(devices, areas, q(patch)).map((d) => d.id);

test('search matches name, id or topic; a floor filter includes its rooms; "none" is devices without an area', () => {
  assert.deepEqual(ids({ text: 'DESK' }), ['lamp']);
  assert.deepEqual(ids({ area: '1' }), ['fridge', 'lamp']);
  assert.deepEqual(ids({ area: '3' }), ['fridge']);
  assert.deepEqual(ids({ area: 'none' }), ['porch']);
  assert.deepEqual(ids({ convention: 'zigbee2mqtt' }), ['lamp']);
  assert.deepEqual(ids({ availability: 'stale' }), ['window']);
});

test('sort by any column both ways; devices without the value last either way; area in the areas\' order', () => {
  assert.deepEqual(ids({ sort: 'battery' }), ['window', 'fridge', 'lamp', 'porch']);
  assert.deepEqual(ids({ sort: 'battery', descending: true }), ['fridge', 'window', 'lamp', 'porch']);
  assert.deepEqual(ids({ sort: 'area' }), ['window', 'lamp', 'fridge', 'porch'], 'First floor is first; a floor before its rooms');
  assert.deepEqual(ids({ sort: 'availability' }), ['fridge', 'lamp', 'window', 'porch']);
  assert.deepEqual(ids({ sort: 'name', descending: true }), ['window', 'porch', 'lamp', 'fridge']);
});
