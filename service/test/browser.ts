import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's chromium through playwright-core, for the console tests: a throwaway profile, flags
 * that keep it from calling home on a closed network, and every page error collected.
 */
export async function openBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<{ page: Page; context: BrowserContext; errors: string[]; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'chehra-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: opts.viewport ?? { width: 1366, height: 768 },
    locale: 'en-IN',
    timezoneId: 'Asia/Kolkata',
  });
  // Generous: on a busy 2-core machine a click can wait behind a slow PGlite query.
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() === 404) errors.push(`404: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[0134]/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return {
    page,
    context,
    errors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
