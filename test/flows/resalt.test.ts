// A house upgraded from before 2026-12-07: its devices' passwords were stored with 16-byte salts, which only
// OpenSSL's scrypt takes. Each is rewritten with a 32-byte salt after a login over MQTT, so that the next restart
// storm hashes it on libsodium (server/auth/resalt.ts, server/auth/scrypt-kdf.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { scryptEngine } from '../../server/auth/scrypt-kdf.js';
import { startHub } from '../helpers/hub.js';
import { legacyHash } from '../helpers/legacy-hash.js';
import { readMetrics } from '../helpers/http.js';

test('an old device password is rewritten with a 32-byte salt after its MQTT login, and keeps working', { skip: scryptEngine() !== 'libsodium' && 'sodium-native is not installed' }, async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const password = 'set in the device before the upgrade';
  await hub.hub.store.accounts.createHashed('old-plug', legacyHash(password), 'device');

  const connect = (clientId: string) => mqtt.connectAsync(hub.mqttUrl, { clientId, username: 'old-plug', password, reconnectPeriod: 0 });
  const first = await connect('old-plug-1');
  t.after(() => first.end(true));

  let metrics = '';
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
    metrics = await readMetrics(hub);
    if (/^rumah_password_hashes_resalted_total 1$/m.test(metrics)) break;
  }
  assert.match(metrics, /^rumah_password_hashes_resalted_total 1$/m, 'rewritten after the login');
  assert.match(metrics, /^rumah_password_scrypt_info\{engine="libsodium"\} 1$/m);
  const row = await hub.hub.store.db.get<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE username = ?', ['old-plug']);
  const [, n, r, p, newSalt] = row!.password_hash.split('$');
  assert.deepEqual([n, r, p], ['2048', '8', '1'], 'same parameters');
  assert.equal(Buffer.from(newSalt!, 'base64').length, 32);

  // The same password logs in again; a wrong one does not.
  const again = await connect('old-plug-2');
  await again.endAsync();
  await assert.rejects(mqtt.connectAsync(hub.mqttUrl, { clientId: 'old-plug-3', username: 'old-plug', password: `${password}!`, reconnectPeriod: 0 }), /Not authorized|Bad username or password/);
});
