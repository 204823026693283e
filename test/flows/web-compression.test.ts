import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { startHub } from '../helpers/hub.js';
import { distRoot } from '../helpers/process.js';

/** A raw GET (fetch would decode the body and hide what came over the wire). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

// The dashboard's scripts and styles go out compressed by the build (brotli or gzip, as the browser accepts), with
// the same bytes once decoded; a browser that accepts neither gets the file as it is.
test('assets are sent as the build compressed them: brotli, gzip or plain, by Accept-Encoding; the same bytes decoded', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const html = fs.readFileSync(path.join(distRoot, 'web/index.html'), 'utf8');
  const script = /src="(\/assets\/main-[^"]+\.js)"/.exec(html)![1]!;
  const plain = fs.readFileSync(path.join(distRoot, 'web', script));

  const br = await get(`${hub.httpUrl}${script}`, { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(String(br.headers.vary), 'Accept-Encoding');
  assert.match(br.headers['content-type'] ?? '', /javascript/);
  assert.match(String(br.headers['content-security-policy']), /default-src 'none'/);
  assert.ok(br.body.length < plain.length / 2, `${br.body.length} bytes for ${plain.length}`);
  assert.deepEqual(zlib.brotliDecompressSync(br.body), plain);

  const gz = await get(`${hub.httpUrl}${script}`, { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(zlib.gunzipSync(gz.body), plain);

  const none = await get(`${hub.httpUrl}${script}`, {});
  assert.equal(none.headers['content-encoding'], undefined);
  assert.deepEqual(none.body, plain);

  // Nothing outside assets/ is reachable through the compressed path.
  const outside = await get(`${hub.httpUrl}/assets/..%2F..%2Fpackage.json`, { 'accept-encoding': 'br' });
  assert.notEqual(outside.status, 200);
  assert.equal(outside.headers['content-encoding'], undefined);
});
