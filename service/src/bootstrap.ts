import { loadOrCreateSigningKey, SigningKeyring } from './auth/signing-key.js';
import type { Config } from './config.js';
import { DEFAULT_FALLBACK_POLICY, type ServiceContext } from './context.js';
import { connectDatabase } from './db/connect.js';
import { loadModelPolicy } from './domain/models.js';
import { Keyring } from './keys/keyring.js';
import { loadOrCreateSecret } from './keys/secret.js';
import { loadOrCreateMetricsToken } from './keys/metrics-token.js';
import { HttpSmsGateway } from './sms/http-gateway.js';
import { DevOutbox } from './sms/sender.js';
import { MpinHasher } from './identity/mpin.js';
import { DEFAULT_IDENTITY_POLICY } from './identity/signin.js';
import { prepareWritableDir, type WritableDir } from './storage.js';

export interface Bootstrapped {
  ctx: ServiceContext;
  /** Files made on this start, for the first-run message. */
  created: { signingKey?: string; boxKeys?: string };
  paths: { signingKey: string; boxKeys: string };
  smsMode: 'development' | 'gateway';
  /** The bearer token for GET /metrics, and where an operator finds it. */
  metricsToken: string;
  metricsTokenSource: string;
}

/** Everything the service needs, generated on first run: keys under keysDir, the database under dataDir. */
export async function bootstrap(config: Config, log?: (msg: string) => void): Promise<Bootstrapped> {
  // Every directory we write is proved writable first, so a bad volume is one sentence, not a stack.
  const dirs: WritableDir[] = [...(config.databaseUrl ? [] : [{ path: config.dataDir, setting: 'DATA_DIR' as const }]), { path: config.keysDir, setting: 'KEYS_DIR' }];
  for (const dir of dirs) prepareWritableDir(dir);
  const models = loadModelPolicy(config.modelsManifest);
  const signing = await SigningKeyring.loadOrCreate(config.keysDir, config.signingKeyGraceMs);
  const audit = await loadOrCreateSigningKey(config.keysDir, 'audit-checkpoint-key.json', 'audit');
  const box = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs);
  const otpSecret = loadOrCreateSecret(config.keysDir, 'otp-secret.json');
  const mpinPepper = loadOrCreateSecret(config.keysDir, 'mpin-pepper.json');
  const metrics = config.metricsToken ? { token: config.metricsToken, path: 'METRICS_TOKEN' } : loadOrCreateMetricsToken(config.keysDir);
  const sms = config.sms ? new HttpSmsGateway(config.sms) : new DevOutbox();
  const db = await connectDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax } : { dataDir: `${config.dataDir}/pglite`, ...(log ? { log } : {}) });
  return {
    ctx: {
      db,
      keyring: box.keyring,
      signingKeys: signing.keyring,
      auditKey: audit.key,
      mpin: new MpinHasher(mpinPepper),
      identity: { ...DEFAULT_IDENTITY_POLICY, accessTtlSeconds: config.accessTokenTtlSeconds, sessionTtlMs: config.sessionTtlMs },
      devTokens: config.devTokens,
      models,
      clock: () => new Date(),
      captureWindowMs: config.captureWindowMs,
      captureSkewMs: config.captureSkewMs,
      sms,
      otpSecret,
      fallback: DEFAULT_FALLBACK_POLICY,
      storage: { dirs, minFreeBytes: config.minFreeDiskBytes },
      children: { templateMonths: config.childTemplateMonths },
    },
    created: { ...(signing.created ? { signingKey: signing.path } : {}), ...(box.created ? { boxKeys: box.path } : {}) },
    paths: { signingKey: signing.path, boxKeys: box.path },
    smsMode: sms.kind,
    metricsToken: metrics.token,
    metricsTokenSource: metrics.path,
  };
}
