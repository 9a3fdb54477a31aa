// Runs the service tests that use the harness again, on a PostgreSQL server with pgvector through
// the `pg` driver: the DATABASE_URL code path, with real parallel transactions and row locks.
// `eval "$(bash scripts/postgres-server.sh)"` starts one and sets TEST_DATABASE_URL.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const url = process.env.TEST_DATABASE_URL;
if (!url) {
  console.error('test:pg-wire needs TEST_DATABASE_URL (a scratch database with pgvector; its tables are truncated).\n' + 'Start a server and set it with: eval "$(bash scripts/postgres-server.sh)"');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = `${root}service/test/`;
const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => {
    const src = readFileSync(testDir + f, 'utf8');
    // Only suites whose database comes from the harness; browser and whole-process suites bring their own.
    return src.includes('createHarness(') && !src.includes('playwright') && !src.includes('testkit/service-process');
  })
  .map((f) => `service/test/${f}`);

console.log(`service tests on the PostgreSQL server at ${url.replace(/:[^:@/]*@/, ':***@')}: ${files.length} files`);
const code = await new Promise<number>((resolve) => {
  const t = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit', env: process.env });
  t.on('exit', (c) => resolve(c ?? 1));
});
process.exit(code);
