import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino, { type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import { loadConfig } from '../src/config.js';
import { loggerOptions } from '../src/logging.js';

/**
 * Logs for collectors in production, for people in development: which format the configuration
 * picks, and what each set of logger options does to a line. The pretty options are run through
 * pino-pretty in this process (the service runs it as a pino transport, in a worker thread, which a
 * test cannot read back).
 */

/** The format loadConfig picks with stdout a terminal or not. */
function formatWith(env: NodeJS.ProcessEnv, tty: boolean): string {
  const had = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: tty, configurable: true });
  try {
    return loadConfig(env).logFormat;
  } finally {
    if (had) Object.defineProperty(process.stdout, 'isTTY', had);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

test('pretty at a terminal in development; JSON in production, in a pipe, and whenever LOG_FORMAT says so', () => {
  assert.equal(formatWith({}, true), 'pretty');
  assert.equal(formatWith({ NODE_ENV: 'production' }, true), 'json');
  assert.equal(formatWith({}, false), 'json', 'a pipe or a file: a collector reads it');
  assert.equal(formatWith({ LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(formatWith({ LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false), 'pretty');
  assert.throws(() => formatWith({ LOG_FORMAT: 'xml' }, false), /LOG_FORMAT must be json or pretty, got "xml"/);
});

/** Lines written by a logger made from the service's options, with `destination` as its output. */
function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const request = { req: { method: 'GET', url: '/v1/beneficiaries', headers: { authorization: 'Bearer eyJsecret', cookie: 'sid=secret', accept: 'application/json' } } };

test('production: JSON lines at the configured level, authorization and cookie headers redacted, no transport', () => {
  const opts = loggerOptions({ logLevel: 'warn', logFormat: 'json' }) as LoggerOptions;
  assert.equal((opts as { transport?: unknown }).transport, undefined, 'JSON goes straight to stdout, no worker thread');
  const { stream, lines } = capture();
  const log = pino(opts, stream);
  log.info('not at warn level');
  log.warn(request, 'a request logged whole');
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!);
  assert.equal(line.level, 40);
  assert.equal(line.msg, 'a request logged whole');
  assert.equal(line.req.headers.authorization, '[redacted]');
  assert.equal(line.req.headers.cookie, '[redacted]');
  assert.equal(line.req.headers.accept, 'application/json');
  assert.equal(typeof line.pid, 'number', 'collectors keep pid and hostname');
});

test('development: pino-pretty, one line per entry with the time of day, no pid or hostname, secrets still redacted', () => {
  const opts = loggerOptions({ logLevel: 'debug', logFormat: 'pretty' }) as LoggerOptions & { transport: { target: string; options: Record<string, unknown> } };
  assert.equal(opts.transport.target, 'pino-pretty');
  // The transport is loaded by name from the service's own dependencies.
  assert.ok(createRequire(new URL('../src/logging.ts', import.meta.url)).resolve(opts.transport.target));
  const { transport, ...rest } = opts;
  const { stream, lines } = capture();
  const log = pino(rest, pinoPretty({ ...transport.options, colorize: false, destination: stream, sync: true }));
  log.debug({ n: 3 }, 'debug shows in development');
  log.warn(request, 'a request logged whole');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^\[\d{2}:\d{2}:\d{2}\] DEBUG: debug shows in development \{"n":3\}$/);
  assert.match(lines[1]!, /^\[\d{2}:\d{2}:\d{2}\] WARN: a request logged whole /);
  assert.ok(lines[1]!.includes('"authorization":"[redacted]"') && !lines[1]!.includes('eyJsecret') && !lines[1]!.includes('sid=secret'));
  assert.ok(!lines.some((l) => /pid|hostname/.test(l)));
});
