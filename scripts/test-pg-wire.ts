// Runs the service tests that use the harness again, through the `pg` driver over the PostgreSQL
// wire protocol (PGlite behind pglite-socket), so the DATABASE_URL code path is exercised where no
// pgvector server can be installed. With TEST_DATABASE_URL already set, uses that server instead.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = `${root}service/test/`;
const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => {
    const src = readFileSync(testDir + f, 'utf8');
    // Only suites whose database comes from the harness; browser and whole-process suites bring their own.
    return src.includes('createHarness(') && !src.includes('playwright') && !src.includes('startServerProcess');
  })
  .map((f) => `service/test/${f}`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let url = process.env.TEST_DATABASE_URL;
let server: ReturnType<typeof spawn> | undefined;
if (!url) {
  const port = await freePort();
  server = spawn(process.execPath, ['--import', 'tsx', `${root}scripts/pglite-server.ts`, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('pglite-server did not start')), 60_000);
    server!.stdout!.on('data', (d) => {
      out += d;
      const m = /listening: (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
}
console.log(`service tests over the pg driver at ${url.replace(/:[^:@/]*@/, ':***@')}: ${files.length} files`);
const code = await new Promise<number>((resolve) => {
  // pglite-socket multiplexes connections onto one session and stalls when two transactions
  // interleave, so against it the pool is one connection; a real server keeps the default.
  const env = { ...process.env, TEST_DATABASE_URL: url, ...(server ? { TEST_DATABASE_POOL_MAX: '1' } : {}) };
  const t = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit', env });
  t.on('exit', (c) => resolve(c ?? 1));
});
server?.kill('SIGTERM');
process.exit(code);
