import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import mqttPacket from 'mqtt-packet';
import { chromium, type Browser } from 'playwright-core';
import { presentedCertificate, startTlsHub } from '../helpers/tls.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's SPKI allow-list takes. */
function spkiHash(cert: crypto.X509Certificate): string {
  return crypto.createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

async function launch(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath, args, headless: true, timeout: 30_000 });
}

/**
 * What this proves, and what it does not. Chromium has no way to trust an extra CA from the command line (on Linux
 * that is an NSS database, made with certutil, which this machine does not have; policies need root). So:
 * 1. without anything, Chromium refuses the hub (ERR_CERT_AUTHORITY_INVALID): nothing the hub serves is trusted
 *    by accident, and a person sees a warning until they install ca.crt;
 * 2. with the hub's own server key allowed (--ignore-certificate-errors-spki-list, a pin of exactly that key),
 *    a real browser speaks HTTPS to the hub end to end: the plain-HTTP redirect, login with the Secure cookie,
 *    the socket.io handshake authenticated by that cookie, and MQTT over secure WebSocket;
 * 3. a pin of another key does not open the door: the allow-list is specific, not a blanket bypass.
 * That the certificate verifies against ca.crt (chain, names, dates) is proven by OpenSSL (mosquitto_pub --cafile)
 * and Node's TLS in tls-mqtt.test.ts, not by Chromium.
 */
test('Chromium over HTTPS: refused without trust; with the hub\'s key pinned: redirect, Secure cookie, socket.io and MQTT over wss work', { skip: !fs.existsSync(executablePath) && `no Chromium at ${executablePath}` }, async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const other = await startTlsHub();
  t.after(() => other.stop());
  const serverCert = await presentedCertificate(hub.webPort, hub.ca);

  const plainBrowser = await launch();
  t.after(() => plainBrowser.close());
  const plainPage = await plainBrowser.newPage();
  await assert.rejects(plainPage.goto(`${hub.httpsUrl}/api/auth/status`), /ERR_CERT_AUTHORITY_INVALID/);

  const wrongPin = await launch([`--ignore-certificate-errors-spki-list=${spkiHash(await presentedCertificate(other.webPort, other.ca))}`]);
  t.after(() => wrongPin.close());
  await assert.rejects((await wrongPin.newPage()).goto(`${hub.httpsUrl}/api/auth/status`), /ERR_CERT_AUTHORITY_INVALID/);

  const browser = await launch([`--ignore-certificate-errors-spki-list=${spkiHash(serverCert)}`]);
  t.after(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  // Typed as http://: the hub redirects to the same address over HTTPS.
  const res = await page.goto(`http://127.0.0.1:${hub.webPort}/api/auth/status`);
  assert.equal(res?.status(), 200);
  assert.equal(page.url(), `${hub.httpsUrl}/api/auth/status`);

  const login = await page.evaluate(async () => (await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }) })).status);
  assert.equal(login, 200);
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'rumah_session');
  assert.equal(cookie?.secure, true);
  assert.equal(cookie?.httpOnly, true);

  // socket.io's engine.io handshake and CONNECT over HTTPS, authenticated by the Secure cookie: "40" is accepted.
  const live = await page.evaluate(async () => {
    const open = await (await fetch('/socket.io/?EIO=4&transport=polling')).text();
    const sid = JSON.parse(open.slice(1)).sid as string;
    await fetch(`/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40' });
    return (await fetch(`/socket.io/?EIO=4&transport=polling&sid=${sid}`)).text();
  });
  assert.match(live, /^40\{"sid":/);

  // MQTT over secure WebSocket from the page: CONNECT as the admin, CONNACK 0 (accepted) comes back.
  const connectBytes = [...mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'chromium', keepalive: 30, username: 'admin', password: Buffer.from('test-admin-password') } as never)];
  const connack = await page.evaluate(async ({ bytes, url }) => new Promise<number[]>((resolve, reject) => {
    const ws = new WebSocket(url, 'mqtt');
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws.send(new Uint8Array(bytes));
    const got: number[] = [];
    // aedes writes a packet in pieces, and each write is a WebSocket message: collect the 4 bytes of a CONNACK.
    ws.onmessage = (e) => {
      got.push(...new Uint8Array(e.data as ArrayBuffer));
      if (got.length < 4) return;
      resolve(got);
      ws.close();
    };
    ws.onerror = () => reject(new Error('websocket error'));
    setTimeout(() => reject(new Error('no CONNACK')), 5000);
  }), { bytes: connectBytes, url: hub.wssUrl });
  assert.deepEqual(connack, [0x20, 0x02, 0x00, 0x00]);
});
