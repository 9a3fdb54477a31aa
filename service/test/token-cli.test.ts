import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO } from '../../testkit/service-process.js';

/**
 * The development token CLI as a user runs it: `npx chehra-token` (the service workspace's bin)
 * prints the token and nothing else on stdout, so TOKEN=$(npx chehra-token …) works without -s;
 * its usage text and the README give the same commands.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'chehra-token-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
// Keys of its own in a fresh DATA_DIR (an inherited KEYS_DIR would point elsewhere); none of the
// output settings of an `npm test -s` that runs this file (npm hands its config to scripts as env).
const env = Object.fromEntries(Object.entries({ ...process.env, DATA_DIR: dataDir }).filter(([k]) => k !== 'KEYS_DIR' && !/^npm_config_(loglevel|silent|json)$/i.test(k)));
/** `--no`: never fetch a package of that name from the registry, only the workspace's bin. */
const npx = (...args: string[]) => spawnSync('npx', ['--no', '--', 'chehra-token', ...args], { cwd: REPO, env, encoding: 'utf8' });
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

test('npx chehra-token: stdout is the token alone (no npm banner), notes on stderr', () => {
  const r = npx('--role', 'auditor', '--sub', 'au1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, `stdout: ${JSON.stringify(r.stdout)}`);
  assert.match(r.stderr, /generated a new signing key at .*chehra-token-cli-/);
  assert.match(r.stderr, /accepted only by a service started with DEV_TOKENS=1/);
  const claims = JSON.parse(Buffer.from(r.stdout.trim().split('.')[1]!, 'base64url').toString('utf8'));
  assert.deepEqual([claims.sub, claims.role], ['au1', 'auditor']);

  // A refusal is a usage message on stderr with exit code 2, and nothing on stdout.
  const bad = npx('--role', 'worker', '--sub', 'w1');
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /cannot mint: /);
});

test('npm run token prints npm\u2019s banner on stdout first, -s does not: why the README says npx', () => {
  const plain = execFileSync('npm', ['run', 'token', '--', '--role', 'auditor', '--sub', 'au1'], { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = plain.split('\n').filter(Boolean);
  // Should npm one day write its banner to stderr, `npm run token` is clean: say so in the README.
  assert.match(lines[0]!, /^> /, 'npm\u2019s banner');
  assert.match(lines.at(-1)!, JWT, 'the token is the last line');
  const silent = execFileSync('npm', ['run', '-s', 'token', '--', '--role', 'auditor', '--sub', 'au1'], { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(silent, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
});

test('the usage text and the README show the same commands, none that would capture npm\u2019s banner', () => {
  const usage = execFileSync(process.execPath, ['--import', 'tsx', 'service/src/cli/token.ts', '--help'], { cwd: REPO, env, encoding: 'utf8' });
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Development tokens.**'), readme.indexOf('### Envelope key rotation'));
  for (const text of [usage, section]) {
    assert.match(text, /TOKEN=\$\(npx chehra-token /);
    assert.match(text, /npm run -s token -- /);
    assert.doesNotMatch(text, /\$\(npm run token/, 'capturing npm run token would capture its banner');
  }
  const examples = usage.split('\n').filter((l) => l.trim().startsWith('npx chehra-token --role'));
  assert.equal(examples.length, 4);
});
