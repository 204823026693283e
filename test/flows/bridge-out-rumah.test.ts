import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, connect, startHub } from '../helpers/hub.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';

const admin = { username: 'admin', password: adminPassword };

test('one rumah bridges to a second rumah over WebSocket (MQTT 5, an account\'s password): both ways once, no echo', async (t) => {
  const far = await startHub();
  t.after(() => far.stop());
  const near = await startHub({
    bridges: [bridge({ url: `${far.httpUrl.replace('http:', 'ws:')}/mqtt`, protocolVersion: 5, username: 'admin', password: adminPassword, topics: ['shared/# both 1'] })],
  });
  t.after(() => near.stop());
  await until('the bridge to connect', () => linkOf(near.hub).state === 'connected');

  const farClient = await connect(far.mqttUrl, { ...admin, clientId: 'far-watcher' });
  t.after(() => farClient.end(true));
  const farGot = collect(farClient);
  await subscribe(farClient, 'shared/#');
  const nearClient = await connect(near.mqttUrl, { ...admin, clientId: 'near-watcher' });
  t.after(() => nearClient.end(true));
  const nearGot = collect(nearClient);
  await subscribe(nearClient, 'shared/#');

  await publish(nearClient, 'shared/a', 'from near');
  await publish(farClient, 'shared/b', 'from far');
  await publish(nearClient, 'shared/end', 'near');
  await publish(farClient, 'shared/end', 'far');
  const ends = (got: string[]) => got.filter((m) => m.startsWith('shared/end')).length;
  await until('the sentinels on both sides', () => ends(farGot) >= 2 && ends(nearGot) >= 2);
  await new Promise((r) => setTimeout(r, 500));
  for (const [side, got] of [['far', farGot], ['near', nearGot]] as const) {
    assert.deepEqual([...got].sort(), ['shared/a from near', 'shared/b from far', 'shared/end far', 'shared/end near'], `${side}: each message once`);
  }
  // A wrong password: the bridge stays down and says why (the remote refused the CONNECT).
  const refused = await startHub({ bridges: [bridge({ url: `${far.httpUrl.replace('http:', 'ws:')}/mqtt`, protocolVersion: 5, username: 'admin', password: 'wrong', topics: ['x/# out 0'] })] });
  t.after(() => refused.stop());
  await until('the refused bridge to report', () => linkOf(refused.hub).lastError !== undefined);
  assert.notEqual(linkOf(refused.hub).state, 'connected');
  assert.match(linkOf(refused.hub).lastError!, /bad user name or password|not authorized/i);
});
