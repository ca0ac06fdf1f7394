// Driving code-server's workbench with playwright-core and Debian's chromium. playwright-core
// lives in the e2e cache (test/e2e/tools.ts), not in node_modules, so the few parts of its API
// used here are typed by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';

type WaitState = 'attached' | 'detached' | 'visible' | 'hidden';

export interface Locator {
  first(): Locator;
  last(): Locator;
  filter(options: { hasText: string | RegExp }): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  waitFor(options?: { state?: WaitState; timeout?: number }): Promise<void>;
  click(options?: { button?: 'left' | 'right'; timeout?: number }): Promise<void>;
  fill(value: string): Promise<void>;
  selectOption(value: string): Promise<unknown>;
  count(): Promise<number>;
  allTextContents(): Promise<string[]>;
  boundingBox(): Promise<Box | null>;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FrameLocator {
  frameLocator(selector: string): FrameLocator;
  locator(selector: string): Locator;
}

interface JSHandle {
  jsonValue(): Promise<unknown>;
}

interface ConsoleMessage {
  text(): string;
  args(): JSHandle[];
}

export interface Page {
  goto(url: string, options?: { waitUntil?: 'domcontentloaded' | 'load'; timeout?: number }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  frameLocator(selector: string): FrameLocator;
  keyboard: { press(key: string): Promise<void> };
  mouse: { move(x: number, y: number, options?: { steps?: number }): Promise<void>; down(): Promise<void>; up(): Promise<void> };
  screenshot(options: { path: string; clip?: Box }): Promise<unknown>;
  waitForTimeout(ms: number): Promise<void>;
  exposeFunction(name: string, callback: (...args: never[]) => unknown): Promise<void>;
  on(event: 'console', listener: (message: ConsoleMessage) => void): void;
}

interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface Chromium {
  launchPersistentContext(userDataDir: string, options: Record<string, unknown>): Promise<BrowserContext>;
}

/** A headless chromium with a fresh profile; close() also removes the profile. */
export interface Browser {
  page: Page;
  close(): Promise<void>;
}

// Headless in a container: no sandbox, no GPU, and nothing that reaches for the network.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(playwrightCore: string, executablePath: string): Promise<Browser> {
  const { chromium } = createRequire(join(playwrightCore, 'package.json'))('playwright-core') as { chromium: Chromium };
  const profile = mkdtempSync(join(tmpdir(), 'esnac-e2e-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, viewport: { width: 1400, height: 900 }, args: CHROMIUM_ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      page,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** The workbench with `folder` open, ready once the explorer lists `someFile`. */
export async function openWorkbench(page: Page, url: string, folder: string, someFile: string): Promise<void> {
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await explorerRow(page, someFile).waitFor({ timeout: 60_000 });
}

export function explorerRow(page: Page, fileName: string): Locator {
  return page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
}

/**
 * Runs a command from the palette. The remote extension host registers contributed commands a
 * few seconds after the workbench paints, so F1 / type / Enter is retried for up to a minute.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input.input');
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > end) throw new Error(`"${title}" never appeared in the command palette`);
      await page.waitForTimeout(1000);
    }
  }
}

/** Picks the quick-pick item showing `text` (e.g. a run a command offers). */
export async function pickQuickItem(page: Page, text: string): Promise<void> {
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().click({ timeout: 30_000 });
}

/** The items of the explorer's context menu on `fileName` (the menu is left open). */
export async function explorerMenu(page: Page, fileName: string): Promise<string[]> {
  await page.keyboard.press('Escape');
  await explorerRow(page, fileName).click({ button: 'right' });
  const items = page.locator('.context-view .action-item .action-label');
  await items.first().waitFor({ timeout: 15_000 });
  // The menu fades in; its items are all there once the first is.
  await page.waitForTimeout(300);
  return (await items.allTextContents()).map((t) => t.trim()).filter((t) => t !== '');
}

/**
 * The context menu on `fileName`, reopened until it offers `item` or `timeoutMs` pass: the
 * remote extension host's contributions reach the workbench a few seconds after it paints.
 */
export async function explorerMenuOffering(page: Page, fileName: string, item: string, timeoutMs = 60_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const items = await explorerMenu(page, fileName);
    if (items.includes(item) || Date.now() > end) return items;
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
}

/**
 * Opens the context menu on `fileName` and clicks `item` until `outcome` shows up, at most
 * `attempts` times: a click that lands while the menu is still settling, or while the remote
 * extension host is still starting, can be lost. `opened` runs once, when the menu first offers
 * the item. Throws when the item is not offered, or with what the notifications said.
 */
export async function runExplorerMenuItem(page: Page, fileName: string, item: string, outcome: Locator, opened: () => Promise<void>, attempts = 3, waitMs = 15_000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const offered = await explorerMenuOffering(page, fileName, item);
    if (!offered.includes(item)) throw new Error(`not offered on ${fileName}; the menu has: ${offered.join(', ')}`);
    if (attempt === 1) await opened();
    await page.locator('.context-view .action-item .action-label', { hasText: item }).first().click();
    try {
      await outcome.waitFor({ timeout: waitMs });
      return;
    } catch {
      const said = await notifications(page);
      if (attempt >= attempts) throw new Error(`${item} from the context menu on ${fileName} showed nothing in ${attempts} tries; notifications: ${said.join(' | ') || 'none'}`);
      await page.keyboard.press('Escape');
    }
  }
}

/** The messages of the notification toasts on screen. */
export async function notifications(page: Page): Promise<string[]> {
  const texts = await page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
  return texts.map((t) => t.trim()).filter((t) => t !== '');
}

/** The document inside the active webview panel. */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/**
 * Forwards what the extension host logs (the workbench echoes it to the page console as
 * `%c INFO`, style, format, ...args) to `print`, in order.
 */
export function forwardHostConsole(page: Page, print: (line: string) => void): () => Promise<void> {
  let printing = Promise.resolve();
  page.on('console', (message) => {
    if (!message.text().startsWith('%c INFO')) return;
    const args = Promise.all(message.args().map((a) => a.jsonValue())).catch(() => undefined);
    printing = printing.then(async () => {
      const values = await args;
      if (values) print(format(...values.slice(2)));
    });
  });
  return () => printing;
}

/** Polls until the locator matches `expected` elements or time runs out; returns the last count. */
export async function waitForCount(locator: { count(): Promise<number> }, expected: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let count = await locator.count();
  while (count !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    count = await locator.count();
  }
  return count;
}
