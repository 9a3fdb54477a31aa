import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';

export { CHROMIUM } from './chromium.js';

/**
 * A console page in Debian's chromium (launched by ./chromium.ts) on a throwaway profile, with
 * every page error collected; close() removes the profile.
 */
export async function openBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<{ page: Page; context: BrowserContext; errors: string[]; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'chehra-chromium-'));
  const context = await launchChromium({ userDataDir, viewport: opts.viewport ?? { width: 1366, height: 768 } });
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
