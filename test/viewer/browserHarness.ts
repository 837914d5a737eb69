import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core. The flags keep it off the network (this
 * machine's closed network refuses Chromium's background connections) and give WebGL a
 * software rasteriser, since there is no GPU.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** In CI a missing Chromium is a failure, not a skip: `.ci/run` installs it. */
export function requireChromiumOrSkip(): boolean {
  if (chromiumAvailable()) return true;
  if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run must install the Debian 'chromium' package`);
  console.warn(`[viewer tests] skipped: ${CHROMIUM} not found (apt-get install chromium)`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Console errors, page errors and failed requests of a page, collected as it runs. */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return { problems };
}

export async function waitReady(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => window.__real2sim?.ready === true || (window.__real2sim?.errors.length ?? 0) > 0, undefined, { timeout });
  const errors = await page.evaluate(() => window.__real2sim?.errors ?? []);
  if (errors.length) throw new Error(`viewer reported: ${errors.join('; ')}`);
}
