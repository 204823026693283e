import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Candidates } from '../../../devices/pairing/candidates.js';

test('an accepted name is no candidate again in this window, even for a login checked while it was accepted', async () => {
  const c = new Candidates();
  // Two logins under one name at once (a reconnect while the first is still being hashed).
  const first = c.add('lamp', 'secret-1', 'lamp', '127.0.0.1', 1);
  const second = c.add('lamp', 'secret-1', 'lamp', '127.0.0.1', 2);
  assert.equal((await first)?.username, 'lamp');
  assert.ok(c.take('lamp'), 'the admin accepts the first');
  assert.equal(await second, undefined, 'the login hashed meanwhile does not make a candidate again');
  assert.equal(await c.add('lamp', 'secret-1', 'lamp-again', '127.0.0.1', 3), undefined);
  assert.equal(c.wasAccepted('lamp'), true);
  assert.deepEqual(c.list(), []);
  c.reset();
  assert.equal(c.wasAccepted('lamp'), false, 'a new window forgets it (by then it is an account)');
});

test('a name keeps the password it was first presented with; rejected names are refused until the next window', async () => {
  const c = new Candidates();
  assert.ok(await c.add('plug', 'right', 'plug', '127.0.0.1', 1));
  assert.equal(await c.add('plug', 'other', 'plug', '127.0.0.1', 2), undefined);
  assert.equal((await c.add('plug', 'right', 'plug-2', '127.0.0.1', 3))?.clientId, 'plug-2');
  assert.equal(c.reject('plug'), true);
  assert.equal(await c.add('plug', 'right', 'plug', '127.0.0.1', 4), undefined);
  assert.equal(c.wasAccepted('plug'), false);
  c.reset();
  assert.ok(await c.add('plug', 'right', 'plug', '127.0.0.1', 5));
});
