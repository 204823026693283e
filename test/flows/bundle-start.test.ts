import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { adminPassword, connect, end, nextMessage, publish, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { distRoot, runCli } from '../helpers/process.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// The hub as `npm start` and the systemd unit run it: the bundle scripts/build-server.mjs makes of dist/server (the
// other tests run tsc's dist/ itself). It starts, a device logs in and publishes, the rules (a chunk loaded after the
// listeners) react, and the dashboard is found from the bundle's own place (server/install-dir.ts).

const bundle = path.join(distRoot, 'server/bundle/main.js');

test('the bundle starts, answers MQTT, runs rules and serves the dashboard', async (t) => {
  assert.ok(fs.existsSync(bundle), `${bundle} is missing: npm run build makes it`);
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const added = await runCli(['devices', 'add', 'bundled', '--json', '--data', dataDir]);
  assert.equal(added.code, 0, added.stderr);
  const device = JSON.parse(added.stdout) as { username: string; password: string };
  // The history export runs on a worker thread started from a file beside the bundle's chunks (influx-export.ts):
  // a line-protocol endpoint here receives what it sends.
  const bodies: string[] = [];
  const endpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => endpoint.close(() => resolve())));
  const endpointPort = (endpoint.address() as AddressInfo).port;
  fs.appendFileSync(path.join(dataDir, 'rumah.yaml'), `\nexports:\n  influx:\n    enabled: true\n    url: http://127.0.0.1:${endpointPort}/write\n    intervalMs: 100\n`);
  fs.mkdirSync(path.join(dataDir, 'rules'));
  fs.writeFileSync(path.join(dataDir, 'rules', 'echo.yaml'), [
    'id: echo',
    'triggers: [{trigger: mqtt, topic: ourhome/test/hall/button}]',
    'actions: [{action: publish, topic: ourhome/stats/echo, payload: "seen"}]',
    '',
  ].join('\n'));

  // Whether server/quiet-debug.ts has patched `debug` when mqtt-packet's first file is compiled (it makes its loggers
  // then): in a bundle whose chunks import their dependencies first, it had not (scripts/build-server.mjs). And
  // whether any file of readable-stream's own copy is compiled: server/core-streams.ts must run before bl loads it.
  const probe = path.join(dataDir, 'probe.mjs');
  fs.writeFileSync(probe, [
    "import Module, { createRequire } from 'node:module';",
    `const debugEntry = createRequire(${JSON.stringify(bundle)}).resolve('debug');`,
    'const compile = Module.prototype._compile;',
    'let told = false;',
    'Module.prototype._compile = function (content, filename) {',
    "  if (filename.includes('/node_modules/readable-stream/lib/internal/')) process.stderr.write(`probe: readable-stream's copy compiled: ${filename}\\n`);",
    "  if (!told && filename.includes('/node_modules/mqtt-packet/')) {",
    '    told = true;',
    '    process.stderr.write(`probe: debug quiet when mqtt-packet loads: ${Module._cache[debugEntry]?.exports?.quiet === true}\\n`);',
    '  }',
    '  return compile.call(this, content, filename);',
    '};',
    '',
  ].join('\n'));
  const child = spawn(process.execPath, ['--import', probe, bundle, '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn'], {
    env: { ...process.env, RUMAH_ADMIN_PASSWORD: adminPassword }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const runtimeFile = path.join(dataDir, 'runtime.json');
  const runtime = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the bundle exited with ${child.exitCode}: ${stderr}`);
    return fs.existsSync(runtimeFile) ? (JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as { mqttPort: number; httpPort: number }) : undefined;
  }, 15_000, 'runtime.json');

  const admin = await connect(`mqtt://127.0.0.1:${runtime.mqttPort}`, { username: 'admin', password: adminPassword, reconnectPeriod: 0 });
  t.after(() => end(admin));
  await subscribe(admin, 'ourhome/stats/echo');
  const echo = nextMessage(admin, (topic) => topic === 'ourhome/stats/echo', 10_000);
  const dev = await connect(`mqtt://127.0.0.1:${runtime.mqttPort}`, { clientId: 'bundled', username: device.username, password: device.password, reconnectPeriod: 0 });
  t.after(() => end(dev));
  await publish(dev, 'ourhome/test/hall/button', 'pressed', { qos: 1 });
  assert.equal((await echo).payload, 'seen');
  await publish(dev, 'ourhome/test/hall/temperature', '21.5', { qos: 1 });
  await waitFor(() => bodies.some((b) => /property=temperature.* value=21\.5 \d+\n/.test(b)) || undefined, 10_000, 'the temperature as a line at the endpoint');

  const httpUrl = `http://127.0.0.1:${runtime.httpPort}`;
  const page = await fetch(`${httpUrl}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i, 'the dashboard, from dist/web beside the bundle');
  assert.equal((await fetch(`${httpUrl}/healthz`)).status, 200);

  assert.match(stderr, /probe: debug quiet when mqtt-packet loads: true/);
  assert.doesNotMatch(stderr, /probe: readable-stream's copy compiled/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
