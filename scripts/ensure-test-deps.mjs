#!/usr/bin/env node
// `npm test`'s pretest: makes sure the machine has what the browser and privacy tests drive, so that
// `npm ci && npm test` works on a fresh Debian machine with nothing installed by hand.
//
// Why Debian's chromium and not a browser downloaded by npm: playwright's browser download comes from
// Microsoft's CDN (not the npm registry; unreachable where only package registries are), and the
// npm-shipped Chromium builds (puppeteer's, @sparticuz/chromium) fetch or unpack a binary at install
// time that Debian's security updates never reach. Debian's `chromium` is patched by `apt upgrade`,
// is the browser our production admins' Linux desktops run, and is one apt-get away.
//
// What it does: for each missing Debian package (chromium and fonts for the console and app tests,
// strace for the SDK's no-file test) it runs `apt-get update && apt-get install` when it runs as root
// on a machine with apt-get; otherwise it prints the one command to run and exits non-zero, so the
// tests do not start only to fail on a missing browser. CHEHRA_SKIP_TEST_DEPS=1 skips the check
// (CHROMIUM_PATH points the tests at another browser).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { datasetsRoot } from '../testkit/datasets.js';

const say = (msg) => console.error(`[chehra pretest] ${msg}`);

if (process.env.CHEHRA_SKIP_TEST_DEPS === '1') process.exit(0);
if (process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
  say(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist; unset it to use Debian's /usr/bin/chromium`);
  process.exit(1);
}

/** Debian package → how we know it is there without asking dpkg (which a non-Debian machine lacks). */
const NEEDED = [
  { pkg: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
  { pkg: 'fonts-liberation', present: () => dpkgHas('fonts-liberation') },
  { pkg: 'fonts-lohit-deva', present: () => dpkgHas('fonts-lohit-deva') },
  { pkg: 'fonts-lohit-beng-bengali', present: () => dpkgHas('fonts-lohit-beng-bengali') },
  { pkg: 'strace', present: () => onPath('strace') },
];

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function dpkgHas(pkg) {
  // Fonts only shape the screenshots; without dpkg we cannot tell and do not insist.
  if (!onPath('dpkg')) return true;
  return spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;
}

const missing = NEEDED.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length > 0) {
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    say(`missing: ${missing.join(', ')}. Install them first:\n\n    sudo sh -c '${cmd}'\n\n(or set CHROMIUM_PATH to a Chromium/Chrome binary and CHEHRA_SKIP_TEST_DEPS=1)`);
    process.exit(1);
  }
  say(`installing ${missing.join(', ')} with apt-get (running as root; see scripts/ensure-test-deps.mjs)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
}

// Datasets cannot be installed from a registry (face images are never committed): say where the
// tests will look, so a missing folder is found here and not deep in a test's output.
const datasets = datasetsRoot();
if (!existsSync(resolve(datasets, 'lfw-dev/pairs.csv'))) {
  say(`no datasets at ${datasets} (lfw-dev/pairs.csv): the vision, demo and no-file tests will fail. Set CHEHRA_DATASETS to the folder holding lfw-dev/ and pad-samples/ (README, "Tests").`);
}
