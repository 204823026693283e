import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Candidates } from '../../../devices/pairing/candidates.js';

test('an accepted name is no candidate again in this window', async () => {
  const c = new Candidates();
  // Two logins under one name at once (a reconnect while the first is still being hashed): one candidate.
  const [first, second] = await Promise.all([c.add('lamp', 'secret-1', 'lamp', '127.0.0.1', 1), c.add('lamp', 'secret-1', 'lamp', '127.0.0.1', 2)]);
  assert.equal(first?.username, 'lamp');
  assert.equal(second?.firstSeen, 1, 'the second login joined the first one\'s candidate');
  assert.equal(c.list().length, 1);
  assert.ok(c.take('lamp'), 'the admin accepts it');
  assert.equal(await c.add('lamp', 'secret-1', 'lamp-again', '127.0.0.1', 3), undefined);
  assert.equal(c.wasAccepted('lamp'), true);
  assert.deepEqual(c.list(), []);
  c.reset();
  assert.equal(c.wasAccepted('lamp'), false, 'a new window forgets it (by then it is an account)');
});

test('while a name\'s password is being hashed, another password for it is refused, and a rejection stops it', async () => {
  const c = new Candidates();
  const [owner, intruder] = await Promise.all([c.add('plug', 'right', 'plug', '127.0.0.1', 1), c.add('plug', 'wrong', 'evil', '127.0.0.1', 1)]);
  assert.equal(owner?.clientId, 'plug');
  assert.equal(intruder, undefined);
  const hashing = c.add('sensor', 'pw', 'sensor', '127.0.0.1', 2);
  assert.equal(c.reject('sensor'), false, 'not listed yet');
  assert.equal(await hashing, undefined, 'rejected while its password was hashed: no candidate');
  assert.deepEqual(c.list().map((x) => x.username), ['plug']);
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
