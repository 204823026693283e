import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { distRoot } from '../../helpers/process.js';

// server/core-streams.ts: in a process that loaded the hub, the readable-stream mqtt-packet's bl requires is Node's
// own stream module (none of readable-stream's copy is loaded), and mqtt-packet still parses packets that arrive in
// pieces. Each case is its own Node process: readable-stream reads READABLE_STREAM when it is first loaded.

const run = promisify(execFile);
const hubJs = path.join(distRoot, 'server/hub.js');

/** Loads the hub, then parses a CONNECT and a PUBLISH fed to mqtt-packet's parser in 3-byte pieces. */
const script = `
import { createRequire } from 'node:module';
import stream from 'node:stream';
await import(${JSON.stringify(hubJs)});
const require = createRequire(${JSON.stringify(hubJs)});
const mqttPacket = require('mqtt-packet');
const fromBl = createRequire(createRequire(require.resolve('mqtt-packet')).resolve('bl'));
const readable = fromBl('readable-stream');
const bytes = Buffer.concat([
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c1', keepalive: 30 }),
  mqttPacket.generate({ cmd: 'publish', topic: 'ourhome/hall/light', payload: 'on', qos: 1, messageId: 7 }),
]);
const parser = mqttPacket.parser();
const packets = [];
parser.on('packet', (p) => packets.push(p.cmd === 'publish' ? [p.cmd, p.topic, String(p.payload), p.messageId] : [p.cmd, p.clientId]));
for (let i = 0; i < bytes.length; i += 3) parser.parse(bytes.subarray(i, i + 3));
const copyFiles = Object.keys(require.cache).filter((f) => f.includes('/readable-stream/lib/internal/'));
console.log(JSON.stringify({ coreDuplex: readable.Duplex === stream.Duplex, copyFiles: copyFiles.length, packets }));
`;

async function probe(env: NodeJS.ProcessEnv): Promise<{ coreDuplex: boolean; copyFiles: number; packets: unknown[] }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 });
  return JSON.parse(stdout.trim());
}

const parsed = [['connect', 'c1'], ['publish', 'ourhome/hall/light', 'on', 7]];

test("with READABLE_STREAM unset, bl gets Node's streams and no file of readable-stream's copy is loaded", async () => {
  const env = { ...process.env };
  delete env.READABLE_STREAM;
  const out = await probe(env);
  assert.equal(out.coreDuplex, true);
  assert.equal(out.copyFiles, 0);
  assert.deepEqual(out.packets, parsed);
});

test('a READABLE_STREAM the environment sets is kept: any other value loads the copy, and packets parse the same', async () => {
  const out = await probe({ ...process.env, READABLE_STREAM: 'enable' });
  assert.equal(out.coreDuplex, false);
  assert.ok(out.copyFiles > 10, `readable-stream's own files were loaded (${out.copyFiles})`);
  assert.deepEqual(out.packets, parsed);
});
