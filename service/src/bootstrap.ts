import { loadOrCreateSigningKey, SigningKeyring } from './auth/signing-key.js';
import type { Config } from './config.js';
import { DEFAULT_FALLBACK_POLICY, type ServiceContext } from './context.js';
import { connectDatabase } from './db/connect.js';
import { loadModelPolicy } from './domain/models.js';
import { Keyring } from './keys/keyring.js';
import { loadOrCreateSecret } from './keys/secret.js';
import { DevOutbox } from './sms/sender.js';
import { MpinHasher } from './identity/mpin.js';
import { DEFAULT_IDENTITY_POLICY } from './identity/signin.js';

export interface Bootstrapped {
  ctx: ServiceContext;
  /** Files made on this start, for the first-run message. */
  created: { signingKey?: string; boxKeys?: string };
  paths: { signingKey: string; boxKeys: string };
}

/** Everything the service needs, generated on first run: keys under keysDir, the database under dataDir. */
export async function bootstrap(config: Config): Promise<Bootstrapped> {
  const models = loadModelPolicy(config.modelsManifest);
  const signing = await SigningKeyring.loadOrCreate(config.keysDir, config.signingKeyGraceMs);
  const audit = await loadOrCreateSigningKey(config.keysDir, 'audit-checkpoint-key.json', 'audit');
  const box = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs);
  const otpSecret = loadOrCreateSecret(config.keysDir, 'otp-secret.json');
  const mpinPepper = loadOrCreateSecret(config.keysDir, 'mpin-pepper.json');
  const db = await connectDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax } : { dataDir: `${config.dataDir}/pglite` });
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
      sms: new DevOutbox(),
      otpSecret,
      fallback: DEFAULT_FALLBACK_POLICY,
    },
    created: { ...(signing.created ? { signingKey: signing.path } : {}), ...(box.created ? { boxKeys: box.path } : {}) },
    paths: { signingKey: signing.path, boxKeys: box.path },
  };
}
