import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core, as every browser test and benchmark launches it.
 * The flags keep chromium from calling home on a closed network (and from hanging on it).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface LaunchChromiumOptions {
  userDataDir: string;
  /** A .y4m or .mjpeg file that Chromium's fake camera plays in a loop. */
  fakeVideo?: string;
  viewport?: { width: number; height: number };
  locale?: string;
  extraArgs?: string[];
}

export async function launchChromium(o: LaunchChromiumOptions): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const args = [...CHROMIUM_ARGS, ...(o.extraArgs ?? [])];
  if (o.fakeVideo) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${o.fakeVideo}`);
  const context = await chromium.launchPersistentContext(o.userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: o.viewport ?? { width: 360, height: 640 },
    locale: o.locale ?? 'en-IN',
    timezoneId: 'Asia/Kolkata',
    ...(o.fakeVideo ? { permissions: ['camera'] } : {}),
  } satisfies LaunchOptions & Record<string, unknown>);
  context.setDefaultTimeout(60_000);
  return context;
}

/** Per image from the browser pipeline: the embedding (or the refusal) and stage timings. */
export interface BrowserFaceRow {
  ok: boolean;
  reason?: string;
  embedding?: number[];
  timings: Record<string, number>;
}

/**
 * Opens the app's origin (cross-origin isolated) and loads the browser SDK bundle into the page
 * as `window.chehraSdk`; then `window.chehraPipeline` is the browser pipeline. Returns the time
 * and bytes it took to have a ready pipeline, from the page's own resource timings.
 */
export async function openSdkPage(context: BrowserContext, base: string, pipelineOptions: Record<string, unknown> = {}) {
  const page: Page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${base}/app/`);
  // tsx (esbuild keepNames) wraps named functions in test code with __name(); functions passed to
  // page.evaluate carry that call into the page, which lacks the helper.
  await page.evaluate('window.__name = (f) => f');
  const info = await page.evaluate(async (opts) => {
    const started = performance.now();
    const sdk = await import('/app/sdk.js' as string);
    const pipeline = await sdk.createBrowserFacePipeline(opts);
    const loadMs = performance.now() - started;
    (window as any).chehraSdk = sdk;
    (window as any).chehraPipeline = pipeline;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const nav = performance.getEntriesByType('navigation') as PerformanceResourceTiming[];
    const all = [...nav, ...resources];
    return {
      loadMs,
      crossOriginIsolated,
      threads: sdk.webThreads(opts.threads),
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      resources: all.map((r) => ({ name: new URL(r.name).pathname, encoded: r.encodedBodySize, decoded: r.decodedBodySize })),
    };
  }, pipelineOptions);
  return { page, ...info };
}

/** Runs the browser pipeline on encoded images (base64), returning embeddings and timings. */
export async function processInBrowser(page: Page, imagesBase64: string[], repeat = 1): Promise<BrowserFaceRow[]> {
  return page.evaluate(
    async ({ images, repeat }) => {
      const pipeline = (window as any).chehraPipeline;
      const rows = [];
      for (const b64 of images) {
        const bin = atob(b64);
        let best: any;
        for (let r = 0; r < repeat; r++) {
          const bytes = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
          const timings: Record<string, number> = {};
          const res = await pipeline.process(bytes, { timings });
          const row = res.ok ? { ok: true, embedding: Array.from(res.embedding as Float32Array), timings } : { ok: false, reason: res.reason, timings };
          if (!best || (timings.total ?? 0) < (best.timings.total ?? 0)) best = row;
        }
        rows.push(best);
      }
      return rows;
    },
    { images: imagesBase64, repeat },
  );
}
