import fs from 'node:fs';
import { pino } from 'pino';
import { Hub } from '../../server/hub.js';
import { defaults, type Config } from '../../server/config/schema.js';
import { BENCH_BUDGETS, tempDir } from './procs.js';
import type { QueuedChange } from '../../server/store/change-columns.js';

/** A hub in this process (for latencies measured on its own bus), on 127.0.0.1 and ports 0, in a temp dir. */
export async function startInProcessHub(onHistoryWritten?: (changes: readonly QueuedChange[], committedAt: number) => void): Promise<{ hub: Hub; port: number; creds: { username: string; password: string }; stop(): Promise<void> }> {
  const dataDir = tempDir('hub');
  const config: Config = {
    ...defaults,
    dataDir,
    bind: '127.0.0.1',
    log: { level: 'warn' },
    mqtt: { ...defaults.mqtt, port: 0, ...BENCH_BUDGETS },
    http: { ...defaults.http, port: 0 },
    devices: { ...defaults.devices, maxPerAccount: 5000 },
  };
  const hub = new Hub({ config, log: pino({ level: 'warn' }), adminPassword: 'bench-admin-password', onHistoryWritten });
  const runtime = await hub.start();
  const username = 'bench-latency';
  const password = await hub.store.accounts.create(username, 'device');
  return {
    hub,
    port: runtime.mqttPort,
    creds: { username, password },
    async stop() {
      await hub.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
