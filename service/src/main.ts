import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { loadConfig } from './config.js';
import { purgeNonces } from './db/repositories/nonces.js';
import { startAuditSealer } from './domain/audit-sealer.js';
import { purgeThrottle } from './db/repositories/signin-throttle.js';
import { SigningKeyring } from './auth/signing-key.js';
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
app.log.info('first admin: stop the service, run `npm run users -- add --role district_admin --mobile <10 digits> --name <name> --state S1 --district D1`, start again and sign in at /admin/ with the one-time MPIN it prints (see README: Sign-in)');
if (ctx.devTokens) app.log.warn('DEV_TOKENS=1: development tokens without a sign-in session (npm run token) are accepted; never in production');

// Nonces older than the capture window can never be replayed: the window refuses them first.
const purge = setInterval(() => {
  purgeNonces(ctx.db, new Date(Date.now() - config.captureWindowMs - config.captureSkewMs)).catch((err) => app.log.warn({ errCode: err?.code }, 'nonce purge failed'));
  purgeThrottle(ctx.db, new Date(Date.now() - ctx.identity.lockMs)).catch((err) => app.log.warn({ errCode: err?.code }, 'sign-in throttle purge failed'));
}, 60_000);
purge.unref();
// Writers append audit entries without a lock; this chains them and signs the head (see the module).
const sealer = startAuditSealer(ctx, app.log, { sealMs: config.auditSealMs, checkpointMs: config.auditCheckpointMs });

// Key rotation (npm run keys:rotate) rewrites the key files; SIGHUP loads them without a restart.
process.on('SIGHUP', async () => {
  try {
    ctx.keyring = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs).keyring;
    ctx.signingKeys = (await SigningKeyring.loadOrCreate(config.keysDir, config.signingKeyGraceMs)).keyring;
    app.log.info(`reloaded keys: envelope ${ctx.keyring.current.kid}, token signing ${ctx.signingKeys.current.kid}`);
  } catch (err) {
    app.log.error({ errType: (err as Error).name }, 'could not reload keys; keeping the old ones');
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
