import { ChehraClient } from '../client/client.js';
import type { SignedIn } from '../client/wire.js';
import type { SignInOptions, WorkerSessionOptions } from './options.js';

/** A client with no token, for the routes that need none (sign-in) or that carry their own. */
function bareClient(o: Pick<WorkerSessionOptions, 'baseUrl' | 'timeoutMs' | 'fetch' | 'now'>, token?: string): ChehraClient {
  return new ChehraClient({
    baseUrl: o.baseUrl,
    ...(token ? { token } : {}),
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
}

/** POST /v1/auth/login. The MPIN goes into the request body and nowhere else. */
export function requestSignIn(o: SignInOptions): Promise<SignedIn> {
  return bareClient(o).login({ mobile: o.mobile, mpin: o.mpin, deviceId: o.deviceId });
}

/**
 * POST /v1/auth/logout with the tokens the session has already forgotten: the session wipes its
 * memory first (nothing waits on the network), then ends the session in the service. The refresh
 * token goes too, so sign-out works after the access token has expired (a worker idle past 15
 * minutes). True when the service confirmed; false when it could not be reached or refused (the
 * tokens are gone from the device; the access token dies within 15 minutes).
 */
export async function endSession(o: Pick<WorkerSessionOptions, 'baseUrl' | 'timeoutMs' | 'fetch' | 'now'>, token: string, refreshToken?: string): Promise<boolean> {
  try {
    await bareClient(o, token).logout(refreshToken);
    return true;
  } catch {
    return false;
  }
}
