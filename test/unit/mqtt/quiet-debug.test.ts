import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { distRoot } from '../../helpers/process.js';

// server/quiet-debug.ts: in a process that loaded the hub, mqtt-packet's `debug` loggers are no-ops unless DEBUG
// names them at the start. Each case is its own Node process, since DEBUG is read when a logger is made.

const run = promisify(execFile);
const hubJs = path.join(distRoot, 'server/hub.js');

/** Loads the hub, then writes and parses one PUBLISH with mqtt-packet; prints what its logger is and the packet. */
const script = `
import { createRequire } from 'node:module';
await import(${JSON.stringify(hubJs)});
const require = createRequire(${JSON.stringify(hubJs)});
const mqttPacket = require('mqtt-packet');
const logger = require('debug')('mqtt-packet:parser');
const bytes = mqttPacket.generate({ cmd: 'publish', topic: 'ourhome/hall/light', payload: 'on', qos: 1, messageId: 7 });
const parser = mqttPacket.parser();
let packet;
parser.on('packet', (p) => (packet = p));
parser.parse(bytes);
console.log(JSON.stringify({ ownLogger: Object.hasOwn(logger, 'namespace'), namespace: logger.namespace, topic: packet.topic, payload: String(packet.payload), messageId: packet.messageId }));
`;

async function probe(debug?: string): Promise<{ out: { ownLogger: boolean; namespace: string; topic: string; payload: string; messageId: number }; stderr: string }> {
  const env = { ...process.env };
  delete env.DEBUG;
  if (debug) env.DEBUG = debug;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 });
  return { out: JSON.parse(stdout.trim()), stderr };
}

test('with DEBUG unset, mqtt-packet logs through a no-op logger and packets are written and read as before', async () => {
  const { out, stderr } = await probe();
  assert.equal(out.ownLogger, false, 'the logger is the no-op (the library logger only as its prototype)');
  assert.equal(out.namespace, 'mqtt-packet:parser', "the library logger's properties are still read through it");
  assert.deepEqual([out.topic, out.payload, out.messageId], ['ourhome/hall/light', 'on', 7]);
  assert.equal(stderr, '');
});

test('DEBUG naming a namespace at the start still prints its lines', async () => {
  const { out, stderr } = await probe('mqtt-packet:*');
  assert.equal(out.ownLogger, true);
  assert.match(stderr, /mqtt-packet:writeToStream generate/);
  assert.match(stderr, /mqtt-packet:parser parse/);
  assert.deepEqual([out.topic, out.payload, out.messageId], ['ourhome/hall/light', 'on', 7]);
});
