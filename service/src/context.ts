import type { SigningKey, SigningKeyring } from './auth/signing-key.js';
import type { Database } from './db/types.js';
import type { ChildPolicy } from './domain/children.js';
import type { ModelPolicy } from './domain/models.js';
import type { MpinHasher } from './identity/mpin.js';
import type { IdentityPolicy } from './identity/signin.js';
import type { Keyring } from './keys/keyring.js';
import type { SmsSender } from './sms/sender.js';
import type { WritableDir } from './storage.js';

export interface FallbackPolicy {
  /** Failed face attempts per beneficiary in a day (India), across every device and worker, before a fallback case opens by itself and the face path closes until midnight. */
  maxFaceAttempts: number;
  otpTtlMs: number;
  /** Wrong codes tolerated per OTP. */
  otpMaxAttempts: number;
  /** OTPs that may be sent for one case. */
  otpMaxSends: number;
}

export const DEFAULT_FALLBACK_POLICY: FallbackPolicy = { maxFaceAttempts: 3, otpTtlMs: 5 * 60_000, otpMaxAttempts: 3, otpMaxSends: 3 };

/** What every route needs, built once at start-up and handed to the app. */
export interface ServiceContext {
  db: Database;
  keyring: Keyring;
  /** Token-signing keys: the current one signs, rotated-out ones verify for their grace period. */
  signingKeys: SigningKeyring;
  /** Hashes and checks MPINs (scrypt with the pepper from KEYS_DIR). */
  mpin: MpinHasher;
  identity: IdentityPolicy;
  /** Accept development tokens (no session; `npm run token`): DEV_TOKENS=1 only. */
  devTokens: boolean;
  /** Signs audit checkpoints (Ed25519, in the key directory; the database never holds it). */
  auditKey: SigningKey;
  models: ModelPolicy;
  clock: () => Date;
  captureWindowMs: number;
  captureSkewMs: number;
  sms: SmsSender;
  /** Keys the OTP hashes; never leaves the service. */
  otpSecret: Uint8Array;
  fallback: FallbackPolicy;
  /** Where the service writes, checked by /healthz (unset in tests on an in-memory database). */
  storage?: { dirs: WritableDir[]; minFreeBytes: number };
  /** Children's template lifetime; default DEFAULT_CHILD_POLICY (6 months). */
  children?: ChildPolicy;
}
