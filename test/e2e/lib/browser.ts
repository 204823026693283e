import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { distRoot } from '../../helpers/process.js';

/** Debian's chromium (installed by .ci/run); `npx playwright install` cannot download browsers here. */
export const chromiumPath = process.env.RUMAH_CHROMIUM ?? '/usr/bin/chromium';

const launchArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: launchArgs,
  });
}

/**
 * A browser with a profile on disk: what an installed app needs (Chromium refuses to install from an incognito
 * context, which `launch()`'s contexts are). Closing the context ends the browser.
 */
export function launchPersistent(userDataDir: string, options: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath, args: launchArgs, ...options });
}

/** A desktop-sized context already logged in with a session cookie (`name=value`, from sessionCookie()): benchmarks. */
export async function contextWithSession(browser: Browser, cookie: string, base: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const [name, value] = cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: base, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

/** test-results/ at the checkout's root (gitignored): the screenshots CI keeps as artifacts. */
export const resultsDir = path.resolve(distRoot, '..', 'test-results');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(resultsDir, { recursive: true });
  // From the top: a full-page shot taken while scrolled paints the sticky header in the middle of the page.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: true });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and page errors, including Content-Security-Policy violations. */
  problems: string[];
  /** Dialogs the page opened (alert() from an injected script would land here). */
  dialogs: string[];
}

/** A page that records what must never happen: script errors, CSP violations, dialogs. */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, problems, dialogs };
}

/** Fills the login form like a person would and waits for the home page. */
export async function logIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor();
  await page.locator('.live-status[data-status="live"]').waitFor();
}
