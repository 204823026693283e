import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { distRoot } from '../helpers/process.js';
import { homeTopic, layoutDevices, startSimulation } from '../../devices/simulator/index.js';

// The simulator says so when the hub turns one of its devices down (devices/simulator/link.ts `rejected`): here the
// device's topics already belong to another account, so the hub refuses its publishes. With --prefix (`home`) the
// simulation has topics of its own and nothing is refused.

const fast = { initialMs: 50, maxMs: 400 };
const seed = 42;

/** A real device of another account takes the first simulated device's topic before the simulation starts. */
async function claimFirstTopic(hub: Awaited<ReturnType<typeof startHub>>): Promise<string> {
  const topic = homeTopic(layoutDevices({ count: 3, seed })[0]!);
  const real = await connect(hub.mqttUrl, await deviceAccount(hub, 'real-device'));
  await publish(real, topic, '21.5', { qos: 1 });
  await end(real);
  await waitFor(() => hub.hub.registry.list().some((d) => d.owner === 'real-device'), 5000, 'the real device registered');
  return topic;
}

test('a simulated device whose topics belong to another account is reported refused; with its own prefix none is', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const topic = await claimFirstTopic(hub);

  const sim = await startSimulation({ url: hub.mqttUrl, devices: 3, seed, rate: 20, backoff: fast, credentials: (i) => deviceAccount(hub, `sim-${i + 1}`) });
  t.after(() => sim.stop({ abrupt: true }));
  const refused = await waitFor(() => sim.connections().find((c) => c.rejected > 0), 20_000, 'a refusal noticed');
  assert.equal(refused.username, 'sim-1');
  assert.match(refused.problem!, new RegExp(`${topic.replaceAll('/', '\\/')}`));
  assert.ok(sim.stats.rejected > 0);
  // The other two are fine.
  assert.deepEqual(sim.connections().filter((c) => c.rejected > 0).map((c) => c.username), ['sim-1']);
  await sim.stop();

  // MQTT 5: the refused PUBLISH itself is reported (PUBACK 0x87), not only the subscription.
  const five = await startSimulation({ url: hub.mqttUrl, devices: 3, seed, rate: 20, backoff: fast, protocolVersion: 5, credentials: (i) => deviceAccount(hub, `five-${i + 1}`) });
  t.after(() => five.stop({ abrupt: true }));
  // (Every one of its devices now: the run above left its devices' topics to the sim-* accounts.)
  await waitFor(() => five.connections().find((c) => /publish to .* refused.*0x87/.test(c.problem ?? '')), 20_000, 'a refused PUBLISH under MQTT 5');
  await five.stop();

  const own = await startSimulation({ url: hub.mqttUrl, devices: 3, seed, rate: 20, backoff: fast, home: 'simhouse', credentials: (i) => deviceAccount(hub, `own-${i + 1}`) });
  t.after(() => own.stop({ abrupt: true }));
  await waitFor(() => hub.hub.registry.list().filter((d) => d.home === 'simhouse').length === 3, 20_000, 'three devices under simhouse/');
  await waitFor(() => own.stats.telemetry >= 20, 20_000, 'telemetry flowing');
  assert.equal(own.stats.rejected, 0);
  assert.deepEqual(own.connections().map((c) => c.rejected), [0, 0, 0]);
});

test('the simulate command warns loudly on stderr and does not count a refused device as connected', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  await claimFirstTopic(hub);
  const account = await deviceAccount(hub, 'cli-sim');
  // One account for all three connections, as --username does: the first device's topic is another account's.
  const child = spawn(process.execPath, [path.join(distRoot, 'devices/simulator/main.js'), '--url', hub.mqttUrl, '--devices', '3', '--seed', String(seed),
    '--username', account.username, '--password', account.password, '--duration', '7', '--rate', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.kill());
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /simulate: WARNING: the hub refused 1 device:/);
  assert.match(stderr, /--prefix NAME/);
  assert.match(stdout, /[0-2]\/3 connected, 1 REFUSED/);
  assert.doesNotMatch(stdout, /3\/3 connected/);
});
