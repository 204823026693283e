// node dist/bench/logbook.js [--changes N]: what the logbook costs the hot path. The bus's `stateChanged` is
// emitted N times over 1,000 devices (half binary, half numeric, as a house's mix) with the history writer's enqueue
// listening — the reference, measured in the same run — and then with the logbook listening beside it. Printed:
// µs per change each way and their ratio, and what reached rumah.db. Not part of `npm run bench`; run it alone (~5 s).
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EventBus } from '../server/core/event-bus.js';
import type { Capability, Device } from '../server/core/model.js';
import { openStore } from '../server/store/index.js';
import { Logbook } from '../server/logbook/logbook.js';
import { defaults } from '../server/config/schema.js';
import { tempDir } from '../test/helpers/hub.js';

const { values } = parseArgs({ options: { changes: { type: 'string' } } });
const changes = Number(values.changes ?? 400_000);
const log = pino({ level: 'silent' });
const access = { reported: true, settable: false, readable: false };
const devices = new Map<string, Device>();
for (let i = 0; i < 1000; i++) {
  const binary = i % 2 === 0;
  const capability: Capability = binary ? { property: 'motion', kind: 'binary', access, on: true, off: false } : { property: 'temperature', kind: 'numeric', access, unit: '°C' };
  devices.set(`d${i}`, { id: `d${i}`, name: `Sensor ${i}`, convention: 'native', topic: `t/${i}`, capabilities: [capability], availability: 'online', createdAt: 0, owner: `acct${i % 20}` });
}

async function run(withLogbook: boolean): Promise<{ usPerChange: number; entries: number; dropped: number }> {
  const store = await openStore(tempDir('rumah-bench-logbook-'), log, {});
  const bus = new EventBus(log);
  bus.on('stateChanged', 'history', (c) => store.writer.enqueue(c));
  const logbook = withLogbook
    ? new Logbook({ db: store.db, bus, log, settings: defaults.logbook, device: (id) => devices.get(id), devices: () => [...devices.values()], ruleName: () => undefined })
    : undefined;
  await logbook?.start();
  const cause = { kind: 'device' as const };
  const t = performance.now();
  for (let n = 0; n < changes; n++) {
    const i = n % 1000;
    const value = i % 2 === 0 ? (Math.floor(n / 1000) % 2 === 0) : 20 + (n % 50) / 10;
    bus.emit('stateChanged', { deviceId: `d${i}`, property: i % 2 === 0 ? 'motion' : 'temperature', value, previous: undefined, ts: Date.now(), cause });
    // Let the writers' timers run now and then, as the broker's event loop would.
    if (n % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
  }
  const usPerChange = ((performance.now() - t) * 1000) / changes;
  await logbook?.stop();
  const entries = logbook ? await logbook.repo.count() : 0;
  await store.close();
  return { usPerChange, entries, dropped: logbook?.writer.dropped ?? 0 };
}

const reference = await run(false);
const measured = await run(true);
console.log(`stateChanged, ${changes} over 1,000 devices (half binary): history only ${reference.usPerChange.toFixed(2)} µs/change; history + logbook ${measured.usPerChange.toFixed(2)} µs/change; ratio ${(measured.usPerChange / reference.usPerChange).toFixed(2)}x`);
console.log(`logbook rows written: ${measured.entries}, dropped at the writer's queue bound: ${measured.dropped} (each device's bucket: ${defaults.logbook.sourceBurst} at once, ${defaults.logbook.sourceRatePerMinute}/min; this loop outruns any broker)`);
