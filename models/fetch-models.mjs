#!/usr/bin/env node
// Fetches the ONNX models listed in models/manifest.json from the npm packages that ship them,
// keeps only the model files, and verifies each against its sha256.
//
// It runs as the root package's postinstall, so it uses Node built-ins and the `tar` CLI only,
// and never installs the source package: faceplugin-face-recognition-js lists webpack, jest and
// babel as runtime dependencies, none of which we want. `npm pack` fetches just the tarball
// (through npm's cache, checked against the registry's integrity).
//
// Idempotent: files already present with the right size and sha256 are left alone.
// Set CHEHRA_SKIP_MODELS=1 to skip (e.g. building an image of the service alone).

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const manifestPath = join(here, 'manifest.json');
const cacheDir = process.env.CHEHRA_MODELS_DIR || join(here, 'cache');

function fail(message) {
  console.error(`\n[chehra models] ERROR: ${message}\n`);
  process.exit(1);
}

function sha256Of(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function isVerified(path, model) {
  if (!existsSync(path) || statSync(path).size !== model.bytes) return false;
  return sha256Of(path) === model.sha256;
}

function npmCommand() {
  // Inside `npm install`/`npm ci`, npm tells its lifecycle scripts where its own CLI is; using it
  // avoids depending on PATH and keeps the same npm version and config (registry, cache).
  const cli = process.env.npm_execpath;
  if (cli && /\.(c?js|mjs)$/.test(cli)) return { file: process.execPath, prefix: [cli] };
  return { file: process.platform === 'win32' ? 'npm.cmd' : 'npm', prefix: [] };
}

function packTarball(spec, into) {
  const npm = npmCommand();
  let out;
  try {
    out = execFileSync(npm.file, [...npm.prefix, 'pack', spec, '--json', '--pack-destination', into], {
      cwd: into,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // npm_config_* from an enclosing install (e.g. --workspace) would change what `npm pack` does.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(workspace|global|prefix)/i.test(k))),
    });
  } catch (err) {
    fail(`could not fetch ${spec} from the npm registry with \`npm pack\`: ${err.stderr || err.message}`);
  }
  const info = JSON.parse(out.slice(out.indexOf('[')));
  return { path: join(into, info[0].filename), integrity: info[0].integrity };
}

function fetchGroup(source, models) {
  const spec = `${source.package}@${source.version}`;
  const work = mkdtempSync(join(tmpdir(), 'chehra-models-'));
  try {
    console.log(`[chehra models] fetching ${spec} (${models.length} model file(s))`);
    const tarball = packTarball(spec, work);
    if (source.integrity && tarball.integrity !== source.integrity) {
      fail(`${spec}: tarball integrity ${tarball.integrity} does not match the manifest's ${source.integrity}. ` +
        'The package may have been republished or tampered with; do not use these models.');
    }
    const paths = models.map((m) => m.source.path);
    try {
      execFileSync('tar', ['-xzf', tarball.path, '-C', work, ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      fail(`${spec}: could not extract ${paths.join(', ')}: ${err.stderr || err.message}`);
    }
    // Verify every file before installing any, so a bad tarball leaves the cache as it was.
    for (const model of models) {
      const actual = sha256Of(join(work, model.source.path));
      if (actual !== model.sha256) {
        fail(`sha256 mismatch for ${model.source.path} in ${spec}:\n  expected ${model.sha256}\n  actual   ${actual}\n` +
          'Refusing to install a model that differs from the one we measured. ' +
          'If the change is intended, re-measure accuracy and update models/manifest.json.');
      }
    }
    for (const model of models) {
      // Copy then rename so a crash never leaves a half-written model behind a valid name.
      const target = join(cacheDir, model.file);
      copyFileSync(join(work, model.source.path), `${target}.partial`);
      renameSync(`${target}.partial`, target);
      console.log(`[chehra models]   ${model.file}  ok  (${model.sha256.slice(0, 12)}…)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  if (process.env.CHEHRA_SKIP_MODELS === '1') {
    console.log('[chehra models] CHEHRA_SKIP_MODELS=1: skipping');
    return;
  }
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    fail(`cannot read ${manifestPath}: ${err.message}`);
  }
  mkdirSync(cacheDir, { recursive: true });

  const missing = Object.values(manifest.models).filter((m) => !isVerified(join(cacheDir, m.file), m));
  if (missing.length === 0) {
    console.log(`[chehra models] all ${Object.keys(manifest.models).length} models present and verified in ${cacheDir}`);
    return;
  }
  const groups = new Map();
  for (const model of missing) {
    const key = `${model.source.package}@${model.source.version}`;
    if (!groups.has(key)) groups.set(key, { source: model.source, models: [] });
    groups.get(key).models.push(model);
  }
  for (const { source, models } of groups.values()) fetchGroup(source, models);
}

main();
