import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { adminPassword, startHub, tempDir } from '../helpers/hub.js';
import { runCli, spawnFirstRun } from '../helpers/process.js';
import { furnish } from '../helpers/house.js';
import { loadKit } from '../../server/backup/kit.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';
// A fixed port: the restarted hub must come back on the page's own origin, so port 0 will not do here.
import { freePort } from '../helpers/programs.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';


test('restore a backup from the first-run page in Chromium; the restored house\'s admin logs in', async (t) => {
  const work = tempDir('rumah-restore-e2e-');
  removeWhenDone(work);
  const source = await startHub({}, { dataDir: path.join(work, 'source') });
  await furnish(source, 5);
  await source.stop();
  const file = path.join(work, 'house.rumahbackup');
  const made = await runCli(['backup', file, '--data', source.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  const key = loadKit(source.dataDir)!.text;

  const httpPort = await freePort();
  const { child, setupCode: code } = await spawnFirstRun(t, path.join(work, 'fresh'), httpPort);
  const url = `http://127.0.0.1:${httpPort}`;

  const browser = await launch();
  t.after(() => browser.close());
  const { page } = await watchedPage(await browser.newContext());
  await page.goto(`${url}/`);
  await page.getByRole('heading', { name: 'Or restore a backup' }).waitFor();
  await page.getByLabel('First-start code').fill(code);
  await page.getByLabel('Backup file').setInputFiles(file);
  await page.getByLabel('Backup key').fill('ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-ABCD-EFGH-IJKL-MNOP-QRST');
  await page.getByRole('button', { name: 'Restore the backup' }).click();
  await page.getByRole('alert').filter({ hasText: 'another backup key' }).waitFor();
  await page.getByLabel('Backup key').fill(key);
  await screenshot(page, 'setup-restore');
  await page.getByRole('button', { name: 'Restore the backup' }).click();
  // The hub restarts onto the backup; the page waits for it and goes to the login page.
  await page.getByRole('heading', { name: 'Log in to rumah' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  assert.equal(child.exitCode, null);
});

test('the Backups page: the first backup shows the key once, then lists the backups to download', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext());
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.getByRole('link', { name: 'Backups' }).click();
  await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
  await page.getByText('No backups yet.').waitFor();
  await page.getByRole('button', { name: 'Back up now' }).click();
  await page.getByRole('heading', { name: 'Your backup key — shown this once' }).waitFor();
  assert.equal(await page.getByTestId('backup-key').textContent(), loadKit(hub.dataDir)!.text);
  await page.locator('tr[data-backup]').first().waitFor();
  await screenshot(page, 'backups-key');

  await page.reload();
  await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Back up now' }).click();
  await page.getByRole('status').filter({ hasText: 'written' }).waitFor();
  await page.locator('tr[data-backup]').nth(1).waitFor();
  assert.equal(await page.locator('tr[data-backup]').count(), 2);
  assert.equal(await page.getByTestId('backup-key').count(), 0, 'the key is not shown again');
  // The download link serves the file itself.
  const href = await page.locator('tr[data-backup] a').first().getAttribute('href');
  const cookies = await page.context().cookies();
  const res = await fetch(`${hub.httpUrl}${href}`, { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } });
  assert.equal(res.status, 200);
  assert.equal(Buffer.from(await res.arrayBuffer()).subarray(0, 8).toString(), 'RUMAHBAK');
  // The 401 is the login page's own session check, before logging in.
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
