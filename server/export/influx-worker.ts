// The line-protocol export's thread (influx-export.ts starts it): reading history rows back, writing them as lines and
// POSTing them is batch work of ~1–2 µs a row, and at tens of thousands of rows a second it took the hub's event loop
// from the broker (bench/exports.ts). Here it runs on its own thread with its own read-only connection to rumah.db
// (WAL: readers never wait for the hub's writers); the hub keeps the cursor (it writes settings) and the devices' tags.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import sqlite3 from 'sqlite3';
import { InfluxPump, type DeviceTags, type HistoryReader, type InfluxExportOptions } from './influx-pump.js';
import type { FromWorker, ToWorker } from './influx-messages.js';

// Background work: on Linux a thread has its own nice value, and setpriority(0) from here lowers this thread's alone
// (measured: the event loop's thread stays at 0). When the cores are busy the broker's event loop goes first and the
// export catches up after, from history, where the rows wait anyway. Elsewhere it may change the whole process, so
// only here.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, 10);
  } catch {
    /* not allowed here: the thread runs at the hub's priority */
  }
}

const { dbFile, options, cursor } = workerData as { dbFile: string; options: InfluxExportOptions; cursor: number };
const port = parentPort!;
const send = (msg: FromWorker): void => port.postMessage(msg);

const db = await new Promise<sqlite3.Database>((resolve, reject) => {
  const d: sqlite3.Database = new sqlite3.Database(dbFile, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(d)));
});
await new Promise<void>((resolve, reject) => db.exec('PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;', (err) => (err ? reject(err) : resolve())));
const reader: HistoryReader = {
  all: (sql, params) => new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as never)))),
  get: (sql, params) => new Promise((resolve, reject) => db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as never)))),
};

const tags = new Map<string, DeviceTags>();
const pump = new InfluxPump({
  db: reader,
  tags: (id) => tags.get(id),
  saveCursor: (rowid) => send({ type: 'cursor', rowid }),
  log: (level, obj, msg) => send({ type: 'log', level, obj, msg }),
  changed: () => send({ type: 'state', counters: pump.counters, backlog: pump.backlog }),
  options,
}, cursor);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'tags') {
    for (const [id, t] of msg.tags) {
      if (t === null) tags.delete(id);
      else tags.set(id, t);
    }
  } else if (msg.type === 'stop') {
    void pump.stop().then(() => new Promise<void>((resolve) => db.close(() => resolve()))).then(() => send({ type: 'stopped' }));
  }
});
send({ type: 'ready' });
pump.start();
