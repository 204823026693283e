// A revoked API token ends the dashboard connections opened with it (issue 15, item 12): through the running hub
// when the CLI revokes it, and at the next revalidation when the token vanished behind the hub's back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/hub.js';
import { runCli, spawnHub } from '../helpers/process.js';
import { liveConnect } from '../e2e/lib/socket-client.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

test('rumah tokens revoke closes the socket.io connection opened with that token at once; the token no longer opens one', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const hub = await spawnHub(dataDir);
  t.after(() => hub.child.kill('SIGKILL'));
  const httpUrl = `http://127.0.0.1:${hub.runtime.httpPort}`;
  const token = JSON.parse((await runCli(['tokens', 'create', 'wall-tablet', '--json', '--data', dataDir])).stdout).token as string;
  const { socket } = await liveConnect(httpUrl, { authorization: `Bearer ${token}` });
  t.after(() => socket.close());
  const ended = new Promise<boolean>((resolve) => socket.on('session', (s) => resolve(s.ended)));
  const revoked = await runCli(['tokens', 'revoke', 'wall-tablet', '--data', dataDir]);
  assert.equal(revoked.code, 0, revoked.stderr);
  // Told on the socket now, not at the revalidation a minute later (the bound only ends the wait).
  assert.equal(await Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]), true);
  await assert.rejects(liveConnect(httpUrl, { authorization: `Bearer ${token}` }), (err: Error & { data?: { code: string } }) => err.data?.code === 'RUMAH_ERR_UNAUTHORIZED');
  const list = await runCli(['tokens', 'list', '--json', '--data', dataDir]);
  assert.deepEqual(JSON.parse(list.stdout).map((x: { name: string }) => x.name), []);
  // Scopes from the CLI: the one asked for, and a clear refusal of one that does not exist.
  const scraper = JSON.parse((await runCli(['tokens', 'create', 'prometheus', '--scope', 'metrics', '--json', '--data', dataDir])).stdout);
  assert.equal(scraper.scope, 'metrics');
  const bad = await runCli(['tokens', 'create', 'x', '--scope', 'root', '--data', dataDir]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--scope must be one of metrics, read, control, admin/);
});
