import type { SigningKey } from './auth/signing-key.js';
import type { Database } from './db/types.js';
import type { ModelPolicy } from './domain/models.js';
import type { Keyring } from './keys/keyring.js';

/** What every route needs, built once at start-up and handed to the app. */
export interface ServiceContext {
  db: Database;
  keyring: Keyring;
  signingKey: SigningKey;
  models: ModelPolicy;
  clock: () => Date;
  captureWindowMs: number;
  captureSkewMs: number;
}
