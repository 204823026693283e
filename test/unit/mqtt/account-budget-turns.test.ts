import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from 'aedes';
import { AccountBudget } from '../../../server/mqtt/account-budget.js';
import type { MqttIdentity } from '../../../server/mqtt/identity.js';
import { EventBus } from '../../../server/core/event-bus.js';
import { silentLog } from '../store/helpers.js';

// A burst is spread over turns of the event loop (server/mqtt/account-budget.ts `turnUnits`): what one read of a
// flooding account's sockets lets in cannot hold the loop for the whole burst. The budget's own code with aedes-shaped
// clients (an id and a remote address are all it reads).

const client = (id: string, address = '127.0.0.1'): Client => ({ id, conn: { remoteAddress: address } }) as unknown as Client;
const device = (username: string): MqttIdentity => ({ username, kind: 'device' });
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const small = { payload: Buffer.from('21.5') };

function budget(): AccountBudget {
  // A device account's defaults (200 units/s, burst 2,000); the address budget out of reach.
  return new AccountBudget({ device: { rate: 200, burst: 2000 }, admin: { rate: 2000, burst: 20_000 }, address: { rate: 1e9, burst: 1e9 }, pressure: () => false });
}

test('one account spends at most 100 units in a turn though its burst holds 2,000; the rest go in the next turn, in order', async (t) => {
  const b = budget();
  t.after(() => b.stop());
  const flooder = client('flooder-1');
  const id = device('flooder');
  let admitted = 0;
  while (b.tryAdmit(flooder, id, small)) admitted++;
  assert.equal(admitted, 100, 'a twentieth of the burst in one turn');

  const went: number[] = [];
  for (let i = 0; i < 150; i++) b.admit(flooder, id, small, () => went.push(i));
  assert.deepEqual(went, [], 'nothing more in this turn');
  await nextTurn();
  assert.deepEqual(went, Array.from({ length: 100 }, (_, i) => i), 'the next turn: the next 100, in order');
  await nextTurn();
  assert.equal(went.length, 150);
  assert.deepEqual(went, [...went].sort((x, y) => x - y));
  assert.equal(b.pauses.get('flooder'), 150, 'each publish that waited for a turn is counted as held');
});

test('another account is not held by the flooder\'s share, and the connections of one account share one', async (t) => {
  const b = budget();
  t.after(() => b.stop());
  const a1 = client('a-1');
  const a2 = client('a-2');
  for (let i = 0; i < 60; i++) assert.ok(b.tryAdmit(a1, device('a'), small));
  for (let i = 0; i < 40; i++) assert.ok(b.tryAdmit(a2, device('a'), small));
  assert.equal(b.tryAdmit(a2, device('a'), small), false, 'the account\'s 100, from two connections');
  for (let i = 0; i < 100; i++) assert.ok(b.tryAdmit(client('other-1'), device('other'), small), 'another account has its own share');
  await nextTurn();
  assert.ok(b.tryAdmit(a1, device('a'), small), 'a new turn, a new share');
});

test('state changes charged after a message count in the turn\'s share: two messages of 50 new values fill it', async (t) => {
  const bus = new EventBus(silentLog());
  const b = new AccountBudget({ device: { rate: 200, burst: 2000 }, admin: { rate: 2000, burst: 20_000 }, address: { rate: 1e9, burst: 1e9 }, pressure: () => false, bus });
  t.after(() => b.stop());
  const c = client('wide-1');
  const id = device('wide');
  const parsed = (): void => {
    for (let p = 0; p < 50; p++) bus.emit('stateChanged', { deviceId: 'd', property: `p${p}`, value: p, previous: undefined, ts: Date.now() } as never);
    bus.emit('message', { topic: 'ourhome/lab/wide', payload: Buffer.alloc(0), username: 'wide' } as never);
  };
  assert.ok(b.tryAdmit(c, id, small));
  parsed();
  assert.ok(b.tryAdmit(c, id, small));
  parsed();
  assert.equal(b.tryAdmit(c, id, small), false, '2 × (1 + 49) units: the share is spent');
  await nextTurn();
  assert.ok(b.tryAdmit(c, id, small), 'and renewed in the next turn (the burst still holds 1,900)');
});
