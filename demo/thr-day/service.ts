import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../../service/src/app.js';
import { mintToken } from '../../service/src/auth/tokens.js';
import { bootstrap } from '../../service/src/bootstrap.js';
import { loadConfig } from '../../service/src/config.js';
import { DevOutbox } from '../../service/src/sms/sender.js';
import { PRINCIPALS } from './cast.js';
import type { InProcessService, ThrDayOptions } from './types.js';

/** The service in this process, on a free port and a fresh data directory, as `npm start` would run it. */
export async function startService(opts: ThrDayOptions): Promise<InProcessService & { stop(): Promise<void> }> {
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : mkdtempSync(join(tmpdir(), 'chehra-demo-'));
  // Only what the demo decides: an inherited DATABASE_URL must not point the demo at a real database.
  const config = loadConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: opts.serviceLogLevel ?? 'info', ...(process.env.MODELS_MANIFEST ? { MODELS_MANIFEST: process.env.MODELS_MANIFEST } : {}) });
  const { ctx } = await bootstrap(config);
  // The demo plays the day with development tokens minted in-process (no sign-in step on stage).
  ctx.devTokens = true;
  if (!(ctx.sms instanceof DevOutbox)) throw new Error('the in-process service must use the development SMS outbox');
  const outbox = ctx.sms;
  let pending = '';
  const sink = opts.serviceLog;
  const stream = new Writable({
    write(chunk, _enc, cb) {
      if (sink) {
        pending += String(chunk);
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) if (l) sink(l);
      }
      cb();
    },
  });
  const app = await buildApp(ctx, { logger: { level: config.logLevel, stream } });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await ctx.db.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  return {
    baseUrl: `http://${config.host}:${port}`,
    ctx,
    outbox,
    dataDir,
    principals: PRINCIPALS,
    token: (p, ttl = 3600) => mintToken(ctx.signingKeys.current, p, ttl),
    async stop() {
      await app.close();
      await ctx.db.close();
      if (pending && sink) sink(pending);
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
