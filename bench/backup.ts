// node dist/bench/backup.js [--rows N]: how long a backup and a restore of a large history take, and the memory
// they need, beside a plain copy of the same rumah.db measured in the same run (the floor: reading and writing the
// bytes once). Not part of `npm run bench`; run it alone (~15 s with the default 2 M rows).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sqlite3 from 'sqlite3';
import { pino } from 'pino';
import { openStore } from '../server/store/index.js';
import { createBackup } from '../server/backup/create.js';
import { restoreBackup } from '../server/backup/restore.js';
import { loadOrCreateKit } from '../server/backup/kit.js';
import { tempDir } from '../test/helpers/hub.js';

const { values } = parseArgs({ options: { rows: { type: 'string' } } });
const rows = Number(values.rows ?? 2_000_000);
const root = tempDir('rumah-bench-backup-');
const dir = path.join(root, 'data');
try {
  await (await openStore(dir, pino({ level: 'silent' }), {})).close();
  const db = new sqlite3.Database(path.join(dir, 'rumah.db'));
  // 1,000 series, one sample a second each: the shape the history writer makes.
  await new Promise<void>((resolve, reject) =>
    db.exec(`BEGIN; WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<${rows}) INSERT INTO history SELECT i % 1000, 1700000000000 + i*1000, (i % 997) / 10.0 FROM c; COMMIT;`, (e) => (e ? reject(e) : resolve())),
  );
  await new Promise((resolve) => db.close(resolve));
  const dbBytes = fs.statSync(path.join(dir, 'rumah.db')).size;

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const baseRss = process.memoryUsage().rss;
  const kit = loadOrCreateKit(dir);
  let t = performance.now();
  const made = await createBackup({ dataDir: dir, kit, file: path.join(root, 'b.rumahbackup') });
  const backupMs = performance.now() - t;
  const backupPeak = peak;
  peak = 0;
  t = performance.now();
  await restoreBackup({ dataDir: path.join(root, 'restored'), file: made.file, key: kit.key });
  const restoreMs = performance.now() - t;
  clearInterval(sampler);
  t = performance.now();
  fs.copyFileSync(path.join(dir, 'rumah.db'), path.join(root, 'copy.db'));
  const copyMs = performance.now() - t;

  const mib = (n: number) => (n / 1048576).toFixed(1);
  console.log(`history rows ${rows.toLocaleString('en')}, rumah.db ${mib(dbBytes)} MiB, backup file ${mib(made.size)} MiB`);
  console.log(`backup   ${(backupMs / 1000).toFixed(1)} s = ${(backupMs / copyMs).toFixed(0)}x a plain copy (${copyMs.toFixed(0)} ms); peak RSS ${mib(backupPeak)} MiB (${mib(baseRss)} before)`);
  console.log(`restore  ${(restoreMs / 1000).toFixed(1)} s = ${(restoreMs / copyMs).toFixed(0)}x a plain copy; peak RSS ${mib(peak)} MiB`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
