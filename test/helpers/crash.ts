import fs from 'node:fs';
import { tempDir } from './hub.js';
import { spawnHub, type HubProcess } from './process.js';

// What the crash tests share (test/flows/durability.test.ts, mqtt5-durability.test.ts): hub processes started on one
// data folder, killed with SIGKILL as a power cut or an OOM kill would, and started again on the same folder.

/** The admin every spawned hub makes (RUMAH_ADMIN_PASSWORD in spawnHub). */
export const admin = { username: 'admin', password: 'test-admin-password' };

export const mqttUrlOf = (hub: HubProcess): string => `mqtt://127.0.0.1:${hub.runtime.mqttPort}`;

/** SIGKILL: no stop handler runs, nothing is flushed but what was committed. */
export async function kill(hub: HubProcess): Promise<void> {
  hub.child.kill('SIGKILL');
  await hub.exited;
}

/** A data folder for the test, and hubs started on it; every one is killed and the folder removed when the test ends. */
export function withHub(t: { after: (fn: () => unknown) => void }): { dataDir: string; start: () => Promise<HubProcess> } {
  const dataDir = tempDir();
  const started: HubProcess[] = [];
  t.after(() => {
    for (const h of started) h.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    start: async () => {
      const h = await spawnHub(dataDir);
      started.push(h);
      return h;
    },
  };
}
