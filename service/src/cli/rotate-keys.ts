import { Keyring } from '../keys/keyring.js';
import { loadConfig } from '../config.js';

// Rotation: a new envelope key becomes current; the previous one still opens envelopes for
// KEY_GRACE_HOURS, so devices that fetched it before the rotation are not cut off.
const config = loadConfig();
const { keyring, path } = Keyring.loadOrCreate(config.keysDir, config.keyGraceMs);
const previous = keyring.current.kid;
const next = keyring.rotated(new Date());
next.save(config.keysDir);
console.log(`rotated ${path}: current key ${next.current.kid}; ${previous} opens envelopes for ${config.keyGraceMs / 3600_000} h more`);
console.log('a running service picks this up on SIGHUP (kill -HUP <pid>) or on restart');
