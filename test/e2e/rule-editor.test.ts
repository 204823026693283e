import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { adminPassword, connect, end, publish, startHub } from '../helpers/hub.js';
import { launch, logIn, screenshot, watchedPage } from './lib/browser.js';
import { setRuleText } from './lib/rule-editor.js';

// The rule editor (issue 18 item 6): CodeMirror with YAML highlighting, completion from the validator's tables and
// the live devices, the validator's errors as diagnostics at their line, the key reference, one numbering of
// triggers in the trace list, and a page usable at 390 px. The page's CSP holds: CodeMirror's <style> carries the
// load's nonce (a violation would be a console error, which `problems` collects).

const valid = `# Hall light
id: hall-light-watch
name: Hall light watch

triggers:
  - trigger: state
    device: ourhome-groundfloor-hall-light
    to: on

actions:
  - action: publish
    topic: ourhome/stats/hall
    payload: "on"
`;

/** The 1-based line of the first element matching `selector` inside the editor's content. */
async function lineOf(page: Page, selector: string): Promise<number> {
  return page.locator('.cm-content').evaluate((content, sel) => {
    const hit = content.querySelector(sel);
    const line = hit?.closest('.cm-line');
    return line ? [...content.querySelectorAll('.cm-line')].indexOf(line) + 1 : -1;
  }, selector);
}

async function openEditor(page: Page): Promise<void> {
  await page.locator('.rule-editor[data-ready="true"]').waitFor({ timeout: 15_000 });
}

test('the rule editor in Chromium: highlighting, completion, errors at their line, key reference, numbering, 390 px', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const observer = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  t.after(() => end(observer));
  await publish(observer, 'ourhome/groundfloor/hall/light', 'OFF');
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  await logIn(page, hub.httpUrl, 'admin', adminPassword);
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByRole('link', { name: 'New rule' }).click();
  await openEditor(page);

  await t.test('each page load has its own style nonce, in the policy and in the page; no unsafe-inline', async () => {
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${hub.httpUrl}/rules/new`, { headers: { accept: 'text/html' } });
      const policy = res.headers.get('content-security-policy')!;
      const inPolicy = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
      const inPage = /<meta name="rumah-style-nonce" content="([^"]+)">/.exec(await res.text())?.[1];
      assert.ok(inPolicy && inPolicy.length >= 22, policy);
      assert.equal(inPage, inPolicy);
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
      nonces.push(inPolicy);
    }
    assert.notEqual(nonces[0], nonces[1]);
  });

  await t.test('YAML highlighting: keys, strings and comments carry token classes with their own colours', async () => {
    await setRuleText(page, valid);
    await page.locator('#rule-errors [data-valid]').waitFor();
    const key = page.locator('.cm-content .tok-propertyName', { hasText: 'triggers' }).first();
    await key.waitFor();
    assert.ok(await page.locator('.cm-content .tok-comment').count() >= 1);
    assert.ok(await page.locator('.cm-content .tok-string').count() >= 1);
    // (Run in the page; the tests compile without the DOM types.)
    const colours = await page.locator('.cm-content').evaluate((content) => {
      const style = (globalThis as any).getComputedStyle;
      return { key: style(content.querySelector('.tok-propertyName')).color as string, text: style(content).color as string };
    });
    assert.notEqual(colours.key, colours.text);
    await screenshot(page, 'rule-editor-highlighting');
  });

  await t.test('completion offers the device ids the hub knows, and kinds from the validator', async () => {
    await setRuleText(page, valid.replace('device: ourhome-groundfloor-hall-light', 'device: ourhome-g'));
    await page.locator('.cm-line', { hasText: 'device: ourhome-g' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+Space');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'ourhome-groundfloor-hall-light' });
    await option.waitFor();
    await screenshot(page, 'rule-editor-completion');
    await page.keyboard.press('Enter');
    await page.locator('.cm-line', { hasText: 'device: ourhome-groundfloor-hall-light' }).waitFor();

    await page.locator('.cm-line', { hasText: 'trigger: state' }).click();
    await page.keyboard.press('End');
    for (let i = 0; i < 'state'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('num');
    await page.locator('.cm-tooltip-autocomplete li', { hasText: 'numeric' }).waitFor();
    await page.keyboard.press('Escape');

    // Keys: on a new line of a state trigger, the keys a state trigger takes that it does not have yet (not `topic`:
    // it has `device`).
    await setRuleText(page, valid);
    await page.locator('.cm-line', { hasText: 'to: on' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+Space');
    const list = page.locator('.cm-tooltip-autocomplete');
    await list.waitFor();
    const keys = (await list.locator('li').allTextContents()).map((k) => k.trim());
    assert.deepEqual(keys.sort(), ['for', 'from', 'id', 'property'], keys.join(' '));
    await page.keyboard.press('Escape');
  });

  await t.test('a validation error is a diagnostic at its line', async () => {
    // Line 6: an unknown trigger kind.
    await setRuleText(page, valid.replace('trigger: state', 'trigger: stat'));
    const listed = page.locator('#rule-errors li').first();
    await listed.waitFor();
    assert.equal(await listed.getAttribute('data-line'), '6');
    await page.locator('.cm-content .cm-lintRange-error').first().waitFor();
    assert.equal(await lineOf(page, '.cm-lintRange-error'), 6);
    assert.equal(await page.locator('.cm-gutter-lint .cm-lint-marker-error').count(), 1);
    await screenshot(page, 'rule-editor-error');
    // The listed error still takes the caret there.
    await listed.getByRole('button').click();
    await page.getByText('Line 6, column', { exact: false }).first().waitFor();
  });

  await t.test('the key reference lists the keys of each kind, topic included for state triggers', async () => {
    await page.getByText('Key reference').click();
    const state = page.locator('.key-reference [data-kind="trigger:state"]');
    await state.waitFor();
    const keys = await state.locator('dd code').allTextContents();
    assert.ok(keys.includes('device') && keys.includes('topic') && keys.includes('property'), keys.join(' '));
    await page.getByText('Key reference').click();
  });

  await t.test('a dry run names the trigger by its place in the file, as its steps do', async () => {
    await setRuleText(page, valid);
    await page.locator('#rule-errors [data-valid]').waitFor();
    await page.getByLabel('Topic').fill('ourhome/groundfloor/hall/light');
    await page.getByLabel('Payload').fill('ON');
    await page.getByRole('button', { name: 'Try' }).click();
    const trace = page.locator('#dry-h ~ .traces .trace').first();
    await trace.waitFor();
    assert.equal(await trace.getAttribute('data-result'), 'done');
    const summary = (await trace.locator('summary').textContent())!;
    assert.match(summary, /triggers\[0\] \(state\)/);
    assert.doesNotMatch(summary, /trigger 1/);
    await trace.locator('summary').click();
    const steps = await trace.locator('.steps li').allTextContents();
    assert.match(steps[0]!, /applied first: ourhome-groundfloor-hall-light\.light false → true/);
    assert.ok(steps.some((s) => s.startsWith('triggers[0]')), steps.join('\n'));
  });

  await t.test('at 390 px the page and the editor fit the width', async () => {
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hall light watch' }).waitFor();
    const phone = await watchedPage(await browser.newContext({ viewport: { width: 390, height: 844 } }));
    await logIn(phone.page, hub.httpUrl, 'admin', adminPassword);
    await phone.page.goto(`${hub.httpUrl}/rules/hall-light-watch`);
    await openEditor(phone.page);
    const widths = await phone.page.evaluate(() => {
      const doc = (globalThis as any).document;
      return { page: doc.documentElement.scrollWidth as number, editor: doc.querySelector('.cm-editor').getBoundingClientRect().right as number };
    });
    const wide = await phone.page.evaluate(() => {
      const doc = (globalThis as any).document;
      return [...doc.querySelectorAll('body *')].filter((e: any) => e.getBoundingClientRect().right > 391).slice(0, 8).map((e: any) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
    });
    assert.ok(widths.page <= 390, `the page is ${widths.page} px wide: ${wide.join(', ')}`);
    assert.ok(widths.editor <= 390, `the editor ends at ${widths.editor} px`);
    await screenshot(phone.page, 'rule-editor-390');
    assert.deepEqual(phone.problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
  });

  assert.deepEqual(problems.filter((p) => !/401 \(Unauthorized\)/.test(p)), []);
});
