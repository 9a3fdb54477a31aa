import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The worker app's JavaScript, bundled by esbuild in memory the first time it is asked for (about
 * a second) and kept for the life of the process: no build step before `npm start`, and no
 * stale bundle beside newer sources. onnxruntime-web stays outside the bundle, loaded from
 * /app/ort/: its WASM glue starts its thread workers from its own URL, which a bundle would lose.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bundle name → entry point. */
export const BUNDLES = {
  'app.js': `${ROOT}service/app/src/main.ts`,
  /** The browser SDK on its own (`@chehra/sdk/browser`), for a WebView shell or a test page. */
  'sdk.js': `${ROOT}sdk/src/browser.ts`,
} as const;

export type BundleName = keyof typeof BUNDLES;

const ortFromService: Plugin = {
  name: 'ort-from-service',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web(\/wasm)?$/ }, () => ({ path: './ort/ort.wasm.min.mjs', external: true }));
  },
};

const built = new Map<BundleName, Promise<Uint8Array>>();

export function bundle(name: BundleName): Promise<Uint8Array> {
  let p = built.get(name);
  if (!p) {
    p = build({
      entryPoints: [BUNDLES[name]],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: ['chrome100', 'firefox110', 'safari16'],
      minify: true,
      legalComments: 'none',
      plugins: [ortFromService],
      logLevel: 'silent',
    }).then((r) => r.outputFiles[0]!.contents);
    // A failed build is not kept: the next request tries again (and reports the error).
    p.catch(() => built.delete(name));
    built.set(name, p);
  }
  return p;
}
