import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { loadConfig } from './config.js';
import { purgeNonces } from './db/repositories/nonces.js';
import { startAuditSealer } from './domain/audit-sealer.js';
import { Keyring } from './keys/keyring.js';

const config = loadConfig();
const { ctx, created, paths } = await bootstrap(config);
const app = await buildApp(ctx, { logger: { level: config.logLevel } });

const where = config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${config.dataDir}/pglite`;
if (created.signingKey || created.boxKeys) {
  app.log.info(`first start: generated keys in ${config.keysDir} (mode 0600) — token signing key ${paths.signingKey}, envelope keys ${paths.boxKeys}, OTP secret otp-secret.json`);
}
app.log.info(`database: ${where}`);
app.log.warn('SMS: development outbox — OTP messages are kept in memory, not delivered; wire an SmsSender gateway for production');
app.log.info(`mint a token: npm run token -- --role district_admin --sub admin1 --district D1 --state S1   (see README)`);

// Nonces older than the capture window can never be replayed: the window refuses them first.
const purge = setInterval(() => {
  purgeNonces(ctx.db, new Date(Date.now() - config.captureWindowMs - config.captureSkewMs)).catch((err) => app.log.warn({ errCode: err?.code }, 'nonce purge failed'));
}, 60_000);
purge.unref();
// Writers append audit entries without a lock; this chains them and signs the head (see the module).
const sealer = startAuditSealer(ctx, app.log, { sealMs: config.auditSealMs, checkpointMs: config.auditCheckpointMs });

// Key rotation (npm run keys:rotate) rewrites the key file; SIGHUP loads it without a restart.
process.on('SIGHUP', () => {
  try {
    ctx.keyring = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs).keyring;
    app.log.info(`reloaded envelope keys: current ${ctx.keyring.current.kid}`);
  } catch (err) {
    app.log.error({ errType: (err as Error).name }, 'could not reload envelope keys; keeping the old ones');
  }
});

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    clearInterval(purge);
    await app.close();
    await sealer.stop();
    await ctx.db.close();
    process.exit(0);
  });
}

const address = await app.listen({ host: config.host, port: config.port });
app.log.info(`district admin console: ${address}/admin/`);
