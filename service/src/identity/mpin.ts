import { createHmac, randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { MPIN_PATTERN } from '@chehra/contract';

/**
 * MPIN hashing: scrypt (node:crypto, memory-hard) over HMAC-SHA256(pepper, mpin).
 *
 * Why the pepper: an MPIN has at most 10^6 values, so no KDF cost makes a stolen hash safe on its
 * own (10^6 × ~0.15 s is under two core-days). The pepper is a 32-byte secret in KEYS_DIR, never in
 * the database, so a database dump alone cannot be brute-forced.
 *
 * Why these parameters: N = 2^15, r = 8, p = 1 (32 MiB) keep one hash, and so one sign-in, well
 * under the 250 ms of one core issue 8 allows; `npm run bench:identity` measures it, and the figure
 * of record is in benchmarks/results/identity.json (not copied here, where it would go stale).
 * They are stored in every hash, so they can be raised later and old hashes still verify.
 */
export interface ScryptCost {
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { logN: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scryptAsync(password: Buffer, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.logN;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r * cost.p };
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export class MpinHasher {
  constructor(
    private readonly pepper: Uint8Array,
    readonly cost: ScryptCost = DEFAULT_SCRYPT_COST,
  ) {}

  private peppered(mpin: string): Buffer {
    return createHmac('sha256', this.pepper).update(mpin, 'utf8').digest();
  }

  /** `scrypt$logN$r$p$salt$hash` (base64url). */
  async hash(mpin: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(this.peppered(mpin), salt, this.cost);
    return ['scrypt', this.cost.logN, this.cost.r, this.cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(mpin: string, stored: string): Promise<boolean> {
    const [kind, logN, r, p, salt, hash] = stored.split('$');
    if (kind !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const key = await scryptAsync(this.peppered(mpin), Buffer.from(salt, 'base64url'), { logN: Number(logN), r: Number(r), p: Number(p) });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /**
   * For a mobile without an account: the same work as a real check, so the time taken does not
   * say whether the number is registered.
   */
  async burn(mpin: string): Promise<false> {
    await scryptAsync(this.peppered(mpin), DUMMY_SALT, this.cost);
    return false;
  }
}

const DUMMY_SALT = randomBytes(16);


/**
 * PINs people pick most (DataGenetics' analysis of 3.4 million 4-digit PINs: the top of the list
 * covers a large share of all choices) and shared defaults handed out with devices and apps
 * (7451 among them). Same-digit runs, sequences and repeated pairs are caught by rule below.
 */
const COMMON = new Set([
  '1234', '1111', '0000', '1212', '7777', '1004', '2000', '4444', '2222', '6969', '9999', '3333', '5555', '6666', '1122', '1313', '8888', '4321', '2001', '1010',
  '7451', '1357', '2468', '1230', '0852', '2580', '1984', '1990', '2020', '1000', '0007',
  '123456', '111111', '000000', '121212', '654321', '112233', '123123', '159753', '147258', '666666', '696969', '101010', '123321', '777777', '999999',
]);

/** Why an MPIN is refused, or null when it is acceptable. `mobile`: her own number's tail is refused too. */
export function weakMpinReason(mpin: string, mobile?: string): string | null {
  if (!new RegExp(MPIN_PATTERN).test(mpin)) return 'an MPIN is 4 to 6 digits';
  const d = [...mpin].map(Number);
  if (d.every((x) => x === d[0])) return 'an MPIN of one repeated digit is too easy to guess';
  const steps = d.slice(1).map((x, i) => (x - d[i]! + 10) % 10);
  if (steps.every((s) => s === 1) || steps.every((s) => s === 9)) return 'an ascending or descending sequence is too easy to guess';
  const half = mpin.length / 2;
  if (mpin.length % 2 === 0 && (mpin.slice(0, 2).repeat(half) === mpin || mpin.slice(0, half).repeat(2) === mpin)) return 'a repeated pattern is too easy to guess';
  if (mpin.length === 6 && mpin.slice(0, 3).repeat(2) === mpin) return 'a repeated pattern is too easy to guess';
  if (COMMON.has(mpin)) return 'this MPIN is one of the most common and too easy to guess';
  if (mobile && mobile.endsWith(mpin)) return 'an MPIN must not be the end of your mobile number';
  return null;
}

/** A random 6-digit one-time MPIN that passes the weak-MPIN rules; shown once, changed at first sign-in. */
export function oneTimeMpin(): string {
  for (;;) {
    const mpin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (!weakMpinReason(mpin)) return mpin;
  }
}
