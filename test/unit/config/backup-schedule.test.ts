import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import nodeCron from 'node-cron';
import { DEFAULT_BACKUP_SCHEDULE, validBackupSchedule } from '../../../server/config/backup-schedule.js';
import { loadConfig } from '../../../server/config/load.js';
import { tempDir } from '../../helpers/hub.js';

// rumah.yaml's backup.schedule is checked with node-cron, except the default, which the config takes as valid without
// loading node-cron before the MQTT listeners (server/config/backup-schedule.ts). These keep that shortcut honest.

test('the default backup schedule is one node-cron itself takes', () => {
  assert.equal(nodeCron.validate(DEFAULT_BACKUP_SCHEDULE), true);
  const dir = tempDir();
  assert.equal(loadConfig({ argv: ['--data', dir], env: {} }).backup.schedule, DEFAULT_BACKUP_SCHEDULE);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('any other schedule is checked by node-cron: its good ones pass, a bad one names backup.schedule', () => {
  for (const good of ['0 3 * * *', '*/15 * * * *', '0 0 4 * * 1-5']) assert.equal(validBackupSchedule(good), nodeCron.validate(good), good);
  for (const bad of ['30 3 * *', 'every night', '61 3 * * *', '']) assert.equal(validBackupSchedule(bad), false, bad);
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'backup:\n  schedule: "30 25 * * *"\n');
  assert.throws(() => loadConfig({ argv: ['--data', dir], env: {} }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RUMAH_ERR_CONFIG_INVALID');
    assert.match(err.message, /backup\.schedule/);
    assert.match(err.message, /cron schedule/);
    return true;
  });
  fs.writeFileSync(path.join(dir, 'rumah.yaml'), 'backup:\n  schedule: "15 4 * * 0"\n');
  assert.equal(loadConfig({ argv: ['--data', dir], env: {} }).backup.schedule, '15 4 * * 0');
  fs.rmSync(dir, { recursive: true, force: true });
});
