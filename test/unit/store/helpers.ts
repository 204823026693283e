import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { createLogger, type Logger } from '../../../server/core/logger.js';
import type { StateChange } from '../../../server/core/events.js';
import type { StateValue } from '../../../server/core/model.js';
import { openStore, type Store, type StoreOptions } from '../../../server/store/index.js';
import { removeWhenDone } from '../../helpers/remove-when-done.js';

/** A fresh temp folder, removed when the test file's process exits. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rumah-store-'));
  removeWhenDone(dir);
  return dir;
}

/** A logger that keeps its records in memory, so a test can assert what was logged. */
export function memoryLog(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('debug', sink), records };
}

export function silentLog(): Logger {
  return createLogger('silent');
}

export function change(deviceId: string, property: string, value: StateValue, ts: number): StateChange {
  return { deviceId, property, value, previous: undefined, ts, cause: { kind: 'device', id: deviceId } };
}

/** A real store in a temp folder, closed when the test ends. */
export async function openTestStore(t: TestContext, opts: StoreOptions = {}, log: Logger = silentLog()): Promise<Store> {
  const store = await openStore(tempDir(), log, opts);
  t.after(() => store.close());
  return store;
}
