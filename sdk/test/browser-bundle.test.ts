import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The parts of the SDK an app runs in a browser — the HTTP client, the worker session, the
 * envelope — and the contract they take their types from must bundle for the browser: no Node
 * built-in (node:crypto, fs, Buffer...) may be reachable from them. esbuild with platform
 * "browser" refuses to resolve a Node built-in, so the build itself is the check.
 */
for (const entry of ['sdk/src/client.ts', 'sdk/src/session.ts', 'sdk/src/envelope/index.ts', 'contract/src/index.ts']) {
  test(`${entry} bundles for the browser with no Node built-in`, async () => {
    const result = await build({ entryPoints: [REPO + entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(!inputs.some((i) => i.startsWith('node:')), inputs.join(', '));
    const code = result.outputFiles[0]!.text;
    assert.doesNotMatch(code, /from ["']node:|require\(["'](fs|crypto|path|os)["']\)/);
  });
}

test('a Node built-in in the graph does fail the bundle (the check can fail)', async () => {
  await assert.rejects(build({ stdin: { contents: "import { readFileSync } from 'node:fs'; console.log(readFileSync);", resolveDir: REPO }, bundle: true, platform: 'browser', write: false, logLevel: 'silent' }));
});
