import type { Page } from 'playwright-core';

/**
 * Replaces the rule editor's text the way a person pasting does: select all, then a paste event carrying the text,
 * which CodeMirror handles itself. (Playwright's fill() types through the browser's own contenteditable editing,
 * which adds inline styles to the lines it splits; the page's CSP rightly refuses them, as a console error.)
 */
export async function setRuleText(page: Page, text: string): Promise<void> {
  const content = page.getByLabel('Rule YAML');
  await content.click();
  await page.keyboard.press('Control+A');
  await content.evaluate((el, value) => {
    const g = globalThis as any;
    const data = new g.DataTransfer();
    data.setData('text/plain', value);
    el.dispatchEvent(new g.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}
