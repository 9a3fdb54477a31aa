import { SigningKeyring } from '../auth/signing-key.js';
import { Keyring } from '../keys/keyring.js';
import { loadConfig } from '../config.js';

// Rotation: a new envelope key and a new token-signing key become current. The previous envelope
// key still opens envelopes for KEY_GRACE_HOURS, so devices that fetched it are not cut off; the
// previous signing key still verifies tokens for SIGNING_KEY_GRACE_HOURS (at least the longest
// token lifetime), so nobody signed in is signed out by a rotation.
const config = loadConfig();
const { keyring, path } = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs);
const previous = keyring.current.kid;
const next = keyring.rotated(new Date());
next.save(config.keysDir);
console.log(`rotated ${path}: current key ${next.current.kid}; ${previous} opens envelopes for ${config.keyGraceMs / 3600_000} h more`);

const signing = await SigningKeyring.loadOrCreate(config.keysDir, config.signingKeyGraceMs);
const previousSigning = signing.keyring.current.kid;
const nextSigning = await signing.keyring.rotated(new Date());
await nextSigning.save(config.keysDir);
console.log(`rotated ${signing.path}: tokens are signed with ${nextSigning.current.kid}; ${previousSigning} verifies for ${config.signingKeyGraceMs / 3600_000} h more`);
console.log('a running service picks this up on SIGHUP (kill -HUP <pid>) or on restart');
