import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { loadConfig, type Config } from './config.js';
import { purgeNonces } from './db/repositories/nonces.js';
import { startAuditSealer } from './domain/audit-sealer.js';
import { purgeThrottle } from './db/repositories/signin-throttle.js';
import { SigningKeyring } from './auth/signing-key.js';
import { Keyring } from './keys/keyring.js';
import { loggerOptions } from './logging.js';
import { installShutdown } from './shutdown.js';
import { StartupError } from './startup-error.js';

/** A start-up failure in one sentence, what and where and the fix, and a non-zero exit: no stack. */
function cannotStart(err: unknown): never {
  if (err instanceof StartupError) process.stderr.write(`chehra: cannot start: ${err.problem}.\n  fix: ${err.fix}\n`);
  else {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`chehra: cannot start: ${e?.message ?? String(err)}${e?.code ? ` (${e.code})` : ''}\n`);
    if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${e?.stack ?? ''}\n`);
  }
  process.exit(1);
}
import { scaledRateLimits } from './rate-limit.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  cannotStart(err);
}
const boot = await bootstrap(config, (msg) => process.stderr.write(`chehra: ${msg}\n`)).catch(cannotStart);
const { ctx, created, paths } = boot;
const app = await buildApp(ctx, {
  logger: loggerOptions(config),
  corsOrigins: config.corsOrigins,
  metricsToken: boot.metricsToken,
  rateLimits: config.rateLimitScale === 0 ? false : scaledRateLimits(config.rateLimitScale),
  ...(config.trustProxyHops > 0 ? { trustProxy: (_addr: string, hop: number) => hop < config.trustProxyHops } : {}),
});

const where = config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${config.dataDir}/pglite (locked for this process)`;
if (created.signingKey || created.boxKeys) {
  app.log.info(`first start: generated keys in ${config.keysDir} (mode 0600) — token signing key ${paths.signingKey}, envelope keys ${paths.boxKeys}, OTP secret otp-secret.json, metrics scrape token metrics-token`);
}
app.log.info(`database: ${where}`);
if (boot.smsMode === 'development') {
  app.log.warn('SMS: DEVELOPMENT OUTBOX — OTP messages are kept in memory and NOT delivered; GET /v1/dev/outbox shows them. Set SMS_GATEWAY_URL (README, "SMS") for production');
} else {
  app.log.info(`SMS: gateway ${new URL(config.sms!.url).origin}, sender ${config.sms!.senderId}, DLT template ${config.sms!.dltTemplateId}`);
}
app.log.info(`metrics: GET /metrics with "authorization: Bearer <token>" (token in ${boot.metricsTokenSource})`);
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

installShutdown({ app, db: ctx.db, graceMs: config.shutdownGraceMs, beforeClose: () => clearInterval(purge), afterDrain: () => sealer.stop() });

try {
  const address = await app.listen({ host: config.host, port: config.port });
  app.log.info(`district admin console: ${address}/admin/`);
} catch (err) {
  await ctx.db.close().catch(() => undefined);
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') cannotStart(new StartupError(`port ${config.port} on ${config.host} is already in use`, 'stop the other service or set PORT to a free port'));
  if (e.code === 'EACCES') cannotStart(new StartupError(`port ${config.port} needs privileges this process lacks`, 'set PORT above 1023'));
  cannotStart(err);
}
