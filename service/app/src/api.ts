import type { Beneficiary, BeneficiaryListItem, SignedIn, User } from '@chehra/contract';
import { ChehraApiError, ChehraClient, WorkerSession } from '@chehra/sdk/browser';

/**
 * The worker's signed-in state: tokens, the SDK session (the service key and sealed captures
 * awaiting an answer) and the day's list — in memory only, in this module. `wipe()` drops all
 * of it; it runs on sign-out, on any 401 from the service, and after the idle timeout.
 */

export type { SignedIn, User, Beneficiary } from '@chehra/contract';

/** An answer from the service that is not a success: its status and machine-readable code. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code);
  }
  get offline(): boolean {
    return this.status === 0;
  }
}

interface Auth {
  access: string;
  refresh: string;
  user: User;
  session: WorkerSession | undefined;
  refreshTimer: ReturnType<typeof setTimeout> | undefined;
}

let auth: Auth | undefined;
let onSignedOut: (why: 'logout' | 'expired' | 'idle') => void = () => undefined;
const base = location.origin;

export const signedIn = () => auth;
export function whenSignedOut(handler: typeof onSignedOut): void {
  onSignedOut = handler;
}

/** Every call to the service; a 401 wipes the session at once (signed out by the service). */
export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = auth?.access): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ServiceError(0, 'network_error');
  }
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    if (res.status === 401 && token && auth?.access === token) void wipe('expired');
    throw new ServiceError(res.status, typeof json.code === 'string' ? json.code : 'error', json);
  }
  return json as T;
}

export async function login(mobile: string, mpin: string): Promise<SignedIn> {
  // A device id for this sign-in only: a lasting one would have to be stored on the phone.
  const deviceId = `web-${crypto.randomUUID()}`;
  const signed = await call<SignedIn>('POST', '/v1/auth/login', { mobile, mpin, deviceId }, undefined);
  await adopt(signed);
  return signed;
}

export async function changeMpin(currentMpin: string, newMpin: string): Promise<SignedIn> {
  const signed = await call<SignedIn>('POST', '/v1/auth/mpin', { currentMpin, newMpin });
  await adopt(signed);
  return signed;
}

async function adopt(signed: SignedIn): Promise<void> {
  const previous = auth;
  if (previous?.refreshTimer) clearTimeout(previous.refreshTimer);
  auth = { access: signed.accessToken, refresh: signed.refreshToken, user: signed.user, session: previous?.session, refreshTimer: undefined };
  if (auth.session) auth.session.replaceToken(signed.accessToken);
  else if (!signed.mustChangeMpin) auth.session = new WorkerSession({ baseUrl: base, token: signed.accessToken });
  // Refresh a minute before expiry; a failed refresh ends the session (the next call gets 401).
  const inMs = Math.max(10_000, (signed.expiresIn - 60) * 1000);
  auth.refreshTimer = setTimeout(() => {
    const current = auth;
    if (!current) return;
    call<SignedIn>('POST', '/v1/auth/refresh', { refreshToken: current.refresh }, undefined).then(adopt, () => undefined);
  }, inMs);
}

export function logout(): Promise<void> {
  return wipe('logout');
}

/**
 * Drops everything the sign-in brought: tokens, sealed captures (zeroed), the list — then ends
 * the sign-in in the service, whatever the reason. It sends the refresh token, not the access
 * token: after the idle time or a 401 the access token may be dead while the refresh token would
 * still open a new one for 12 hours, and the device has just forgotten both.
 */
export function wipe(why: 'logout' | 'expired' | 'idle'): Promise<void> {
  const current = auth;
  auth = undefined;
  beneficiaries = [];
  if (!current) return Promise.resolve();
  if (current.refreshTimer) clearTimeout(current.refreshTimer);
  void current.session?.logout(); // memory only: this session does not own the sign-in
  onSignedOut(why);
  return call('POST', '/v1/auth/logout', { refreshToken: current.refresh }, undefined).then(
    () => undefined,
    () => undefined, // offline: the tokens are gone from the device; the access token dies within 15 minutes
  );
}

export function session(): WorkerSession {
  if (!auth?.session) throw new ServiceError(401, 'session_closed');
  return auth.session;
}

let beneficiaries: BeneficiaryListItem[] = [];
export async function loadBeneficiaries(): Promise<BeneficiaryListItem[]> {
  const page = await call<{ items: BeneficiaryListItem[] }>('GET', '/v1/beneficiaries?limit=500');
  beneficiaries = page.items;
  return beneficiaries;
}
export const knownBeneficiaries = () => beneficiaries;

/** The SDK's errors as ours: offline (no answer) or the service's code. */
export function asServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof ChehraApiError) {
    if (err.status === 401 && auth) void wipe('expired');
    return new ServiceError(err.isNetworkFailure ? 0 : err.status, err.code, { ...err.details });
  }
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : 'error';
  return new ServiceError(-1, code);
}

export const client = (): ChehraClient => session().api;
