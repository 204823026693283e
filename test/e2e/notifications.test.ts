import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, publish } from '../helpers/hub.js';
import { account, startRulesHub } from '../flows/rules-helpers.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';
import { adminPassword } from '../helpers/hub.js';

// Rule notifications reach the dashboard over socket.io (server/realtime/notifications.ts): a rule's `notify`
// action, and the flood guard's notice when a rule re-triggering itself has runs dropped.
test('rule notifications appear in the dashboard live: a notify action, and a rule re-triggering itself whose runs are dropped', async (t) => {
  const h = await startRulesHub({
    rules: { limits: { floodRuns: 3, floodWindowMs: 60_000 } },
    files: {
      'bell.yaml': [
        'id: bell',
        'triggers: [{trigger: mqtt, topic: doorbell/press}]',
        'actions: [{action: notify, title: Doorbell, message: "Someone at the door ({{ payload }})"}]',
        '',
      ].join('\n'),
      'watch.yaml': [
        'id: watch',
        'name: Watch sensors',
        'mode: parallel',
        'triggers: [{trigger: mqtt, topic: "sensors/+/temp"}]',
        '# Re-triggers itself twice a run: a loop that fans out, what the flood guard is for.',
        'actions: [{action: publish, topic: sensors/echo/temp, payload: x}, {action: publish, topic: sensors/echo/temp, payload: y}]',
        '',
      ].join('\n'),
    },
  });
  t.after(() => h.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, h.httpUrl, 'admin', adminPassword);
  const list = page.getByRole('log', { name: 'Notifications' });

  const bell = await connect(h.mqttUrl, await account(h, 'doorbell'));
  t.after(() => end(bell));
  await publish(bell, 'doorbell/press', 'front');
  const note = list.locator('.notification[data-rule="bell"]');
  await note.getByText('Someone at the door (front)').waitFor({ timeout: 10_000 });
  assert.equal(await note.locator('strong').textContent(), 'Doorbell');

  const pest = await connect(h.mqttUrl, await account(h, 'pest'));
  t.after(() => end(pest));
  await publish(pest, 'sensors/pest/temp', '1');
  const dropped = list.locator('.notification[data-rule="watch"]');
  await dropped.getByText('Rule Watch sensors: runs from device pest dropped').waitFor({ timeout: 10_000 });
  assert.equal(await dropped.getAttribute('data-level'), 'warning');
  assert.match((await dropped.locator('p').textContent())!, /flood guard: more than 3 runs in 1 min re-triggered by the rule's own actions, caused by device pest; this run was dropped/);
  await screenshot(page, 'notifications');

  // Dismissed, it goes; the link leads to the rule.
  await note.getByRole('button', { name: 'Dismiss Doorbell' }).click();
  await note.waitFor({ state: 'detached' });
  await dropped.getByRole('link', { name: 'Open rule watch' }).click();
  await page.getByRole('heading', { level: 1, name: 'Watch sensors' }).waitFor();
  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
