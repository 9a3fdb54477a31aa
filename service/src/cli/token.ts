import { parseArgs } from 'node:util';
import { loadOrCreateSigningKey } from '../auth/signing-key.js';
import { principalFromClaims } from '../auth/principal.js';
import { DEV_TOKEN_MAX_SECONDS, mintToken } from '../auth/tokens.js';
import { loadConfig } from '../config.js';

const usage = `DEVELOPMENT TOOL. Mints a token signed with the service's key, with no sign-in session.

The service accepts such tokens only when started with DEV_TOKENS=1 (never in production): they
cannot be revoked by sign-out. People sign in with mobile + MPIN (npm run users -- add, README).

  npx chehra-token --role worker --sub w1 --awc AWC-001 --district D1 --state S1
  npx chehra-token --role supervisor --sub s1 --awcs AWC-001,AWC-002 --district D1 --state S1
  npx chehra-token --role district_admin --sub a1 --district D1 --state S1
  npx chehra-token --role auditor --sub au1

Prints the token and nothing else on stdout (notes go to stderr): TOKEN=$(npx chehra-token ...).
\`npm run -s token -- <options>\` is the same; without -s, npm prints its own "> token" banner on
stdout before the token.

Options: --ttl SECONDS (default TOKEN_TTL_SECONDS or 3600, at most 86400). Uses the keys in KEYS_DIR (default DATA_DIR/keys).`;

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    awc: { type: 'string' },
    awcs: { type: 'string' },
    district: { type: 'string' },
    state: { type: 'string' },
    ttl: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const config = loadConfig();
const claims = { ...values, awcs: values.awcs?.split(',').filter(Boolean) };
const principal = principalFromClaims(claims);
if (typeof principal === 'string') {
  console.error(`cannot mint: ${principal}\n\n${usage}`);
  process.exit(2);
}
const ttl = values.ttl ? Number(values.ttl) : config.tokenTtlSeconds;
if (!Number.isInteger(ttl) || ttl <= 0 || ttl > DEV_TOKEN_MAX_SECONDS) {
  console.error(`--ttl must be a positive number of seconds, at most ${DEV_TOKEN_MAX_SECONDS}`);
  process.exit(2);
}
const { key, created, path } = await loadOrCreateSigningKey(config.keysDir);
if (created) console.error(`generated a new signing key at ${path}`);
console.error('development token: accepted only by a service started with DEV_TOKENS=1');
console.log(await mintToken(key, principal, ttl));
