import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Capability, Device, StateValue } from '../../../server/core/model.js';
import { importWebModule } from '../../helpers/web-module.js';

type WithState = Device & { state: Record<string, { value: StateValue }> };
const { countLights } = await importWebModule<{ countLights(devices: readonly WithState[]): { on: number; total: number } }>('web/src/model/lights.ts');

const binary = (property: string, extra: Partial<Capability> = {}): Capability => ({
  property, kind: 'binary', access: { reported: true, settable: false, readable: false }, ...extra,
});

test('lights on: an offline or stale light is not counted as on, but counts in the total', () => {
  const light = (id: string, availability: 'online' | 'offline' | 'stale' | 'unknown', on: boolean) => ({
    id, name: id, convention: 'native', topic: `home/f/r/${id}`, availability, createdAt: 0,
    capabilities: [binary('light', { access: { reported: true, settable: true, readable: false } })],
    state: { light: { value: on } },
  });
  assert.deepEqual(countLights([light('a', 'online', true), light('b', 'stale', true), light('c', 'offline', true), light('d', 'unknown', true), light('e', 'online', false)]), { on: 2, total: 5 });
});
