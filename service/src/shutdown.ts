import type { FastifyInstance } from 'fastify';
import type { Database } from './db/types.js';

/**
 * SIGTERM/SIGINT: stop taking connections, let the requests in flight finish (fastify answers new
 * ones 503 meanwhile), then close the database (the pool, or PGlite and its lock) and exit. A request
 * that outlives the grace period is cut off rather than holding up the shutdown for ever.
 */
export function installShutdown(opts: { app: FastifyInstance; db: Database; graceMs: number; beforeClose?: () => void; afterDrain?: () => Promise<void> }): void {
  const { app, db, graceMs } = opts;
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      const started = Date.now();
      app.log.info(`${signal}: shutting down — draining requests in flight (up to ${graceMs / 1000} s), then closing the database`);
      opts.beforeClose?.();
      const grace = setTimeout(() => {
        app.log.warn(`requests still running after ${graceMs / 1000} s: closing their connections`);
        app.server.closeAllConnections();
      }, graceMs);
      grace.unref();
      void (async () => {
        let code = 0;
        try {
          await app.close();
        } catch (err) {
          code = 1;
          app.log.error({ errType: (err as Error).name }, 'closing the HTTP server failed');
        }
        clearTimeout(grace);
        try {
          // Work that writes after the last request (the audit sealer's final batch), then the database.
          await opts.afterDrain?.();
          await db.close();
        } catch (err) {
          code = 1;
          app.log.error({ errType: (err as Error).name }, 'closing the database failed');
        }
        app.log.info(`stopped in ${Date.now() - started} ms: requests drained, database closed`);
        // Let pino's transport (pretty mode) flush the last line before the process ends.
        (app.log as unknown as { flush?: () => void }).flush?.();
        setTimeout(() => process.exit(code), 50).unref();
      })();
    });
  }
}
