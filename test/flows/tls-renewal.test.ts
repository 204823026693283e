import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { defaults } from '../../server/config/schema.js';
import { TlsService } from '../../server/tls/service.js';
import { tempDir } from '../helpers/hub.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const day = 86_400_000;

test('the generated server certificate is renewed before it expires and when the names change; the CA stays', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  let now = Date.now();
  const config = { ...defaults.tls, enabled: true };
  const service = new TlsService({ config, dataDir, bind: '127.0.0.1', log: pino({ level: 'silent' }), now: () => now });
  t.after(() => service.stop());
  const first = await service.start();
  const changes: string[] = [];
  service.onChange((_options, info) => changes.push(info.serialNumber));

  now += 700 * day; // still 125 days left: kept
  assert.equal(await service.reload(), false);
  now += 100 * day; // 25 days left: renewed (the daily check does this)
  assert.equal(await service.reload(), true);
  assert.notEqual(service.info.serialNumber, first.serialNumber);
  assert.equal(service.info.caFingerprint256, first.caFingerprint256, 'devices keep trusting the same CA');
  const renewed = new crypto.X509Certificate(fs.readFileSync(path.join(dataDir, 'tls', 'server.crt')));
  assert.ok(Date.parse(renewed.validTo) - now > 800 * day);
  assert.deepEqual(changes, [service.info.serialNumber], 'listeners were told once');

  // A name added to tls.hostnames (read at the next start) is covered by a new certificate.
  const withName = new TlsService({ config: { ...config, hostnames: ['hub.home.lan'] }, dataDir, bind: '127.0.0.1', log: pino({ level: 'silent' }), now: () => now });
  t.after(() => withName.stop());
  const named = await withName.start();
  assert.notEqual(named.serialNumber, service.info.serialNumber);
  assert.match(new crypto.X509Certificate(fs.readFileSync(path.join(dataDir, 'tls', 'server.crt'))).subjectAltName ?? '', /DNS:hub\.home\.lan/);
  assert.equal(named.caFingerprint256, first.caFingerprint256);
});

test('a CA key that is damaged stops the start with RUMAH_ERR_TLS_CERT instead of silently making a new CA', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const make = (): TlsService => new TlsService({ config: { ...defaults.tls, enabled: true }, dataDir, bind: '127.0.0.1', log: pino({ level: 'silent' }) });
  const ok = make();
  await ok.start();
  ok.stop();
  fs.writeFileSync(path.join(dataDir, 'tls', 'ca.key'), 'not a key');
  await assert.rejects(make().start(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RUMAH_ERR_TLS_CERT');
    assert.match(err.message, /the hub's CA in .*tls cannot be used: not a PEM private key.*move .*tls away to make a new CA/);
    return true;
  });
});
