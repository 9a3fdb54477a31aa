import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const OTP_DIGITS = 6;

export function generateOtp(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

/**
 * A six-digit code has a million values: a plain hash would fall to a table in seconds.
 * Keyed with a server secret and bound to its challenge, a stolen table row is useless.
 */
export function hashOtp(secret: Uint8Array, challengeId: string, otp: string): string {
  return createHmac('sha256', secret).update(`${challengeId}:${otp}`).digest('hex');
}

export function otpMatches(secret: Uint8Array, challengeId: string, otp: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashOtp(secret, challengeId, otp), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
