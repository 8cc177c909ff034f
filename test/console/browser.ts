import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Helpers for the console's browser tests: a fresh build, Debian's headless Chromium, sign-in. */

const ROOT = path.resolve(__dirname, '../..');
const SOURCE = path.join(ROOT, 'src/console');
const BUILT = path.join(ROOT, 'dist/console/index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestSource(p) : s.mtimeMs);
  }
  return newest;
}

/** Build the console (vite) unless dist/console is newer than every source file. */
export function ensureConsoleBuilt(): void {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(SOURCE)) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', path.join(SOURCE, 'vite.config.mts')], {
    cwd: ROOT, stdio: 'pipe', timeout: 120_000,
  });
}

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Every request the page made; every page error, console error (but an API's 401/403/404 answer) or dialog. */
  requests: string[];
  problems: string[];
}

/** A new 1280×800 tab on the console; it records every URL requested and every page error. */
export async function openConsole(browser: Browser, baseUrl: string, search = ''): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[134]/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await page.goto(`${baseUrl}/console${search}`);
  return { context, page, requests, problems };
}

/** Type a key on the sign-in screen and submit it. */
export async function submitKey(page: Page, key: string): Promise<void> {
  await page.fill('#key', key);
  await page.click('button[type=submit]');
}

export async function signIn(page: Page, key: string): Promise<void> {
  await submitKey(page, key);
  await page.waitForSelector('header.top nav');
}

/** Click a view in the navigation. */
export async function openView(page: Page, view: 'events' | 'subject' | 'requests' | 'clients' | 'integrity'): Promise<void> {
  await page.click(`nav a[data-view=${view}]`);
}

/**
 * Where the tests' 1280×800 screenshots of each view go: docs/console (the README's pictures)
 * with CONSOLE_SCREENSHOTS=1 (`npm run docs:console`), a temporary folder otherwise, so that a
 * plain test run does not rewrite tracked images.
 */
export const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/console') : path.join(tmpdir(), 'purposegate-console-screenshots');
