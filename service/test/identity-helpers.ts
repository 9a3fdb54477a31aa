import assert from 'node:assert/strict';
import { bootstrapUser, type BootstrapUserInput } from '../src/identity/bootstrap-user.js';
import type { Harness } from './harness.js';

/** Sign-in through the API, as the app and the console do. */
export const signIn = (h: Harness, mobile: string, mpin: string, deviceId = 'device-test-0001') => h.call('POST', '/v1/auth/login', undefined, { mobile, mpin, deviceId });

/** Signs in with a one-time MPIN and changes it: the access token of the fresh session. */
export async function firstSignIn(h: Harness, mobile: string, oneTime: string, newMpin: string, deviceId?: string): Promise<{ accessToken: string; refreshToken: string; user: any }> {
  const first = await signIn(h, mobile, oneTime, deviceId);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.mustChangeMpin, true);
  const changed = await h.call('POST', '/v1/auth/mpin', first.body.accessToken, { currentMpin: oneTime, newMpin });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.equal(changed.body.mustChangeMpin, false);
  return changed.body;
}

/** A bootstrap account (the CLI's code), signed in with her own MPIN. */
export async function bootstrapAndSignIn(h: Harness, input: BootstrapUserInput, newMpin: string) {
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, input);
  return firstSignIn(h, input.mobile, oneTimeMpin, newMpin);
}

/** A manager adds an account through POST /v1/users; she then signs in and sets her MPIN. */
export async function addAndSignIn(h: Harness, managerToken: string, body: Record<string, unknown>, newMpin: string) {
  const added = await h.call('POST', '/v1/users', managerToken, body);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const session = await firstSignIn(h, body.mobile as string, added.body.oneTimeMpin, newMpin);
  return { ...session, id: added.body.user.id as string, oneTimeMpin: added.body.oneTimeMpin as string };
}
