// The service's API, called with the admin's session. The access and refresh tokens live in this
// module and in the tab's sessionStorage (so a reload keeps the session); never in localStorage or
// a cookie. An expired access token is refreshed once, transparently; sign-out ends the session
// in the service (POST /v1/auth/logout) before the tokens are forgotten.

const KEY = 'chehra.admin.token';
const REFRESH_KEY = 'chehra.admin.refresh';
const DEVICE_KEY = 'chehra.admin.device';

/** An answer of the API that was not 2xx: `code` for the program, `message` for the person. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string} [caseId] the case a refused batch names */
  constructor(status, code, message, caseId) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.caseId = caseId;
  }
}

/** @type {string | null} */
let token = null;
/** @type {(err: ApiError) => void} */
let onUnauthorized = () => {};

export function loadToken() {
  try {
    token = sessionStorage.getItem(KEY);
  } catch {
    token = null; // storage disabled: the token stays in memory only
  }
  return token;
}

/** @type {string | null} */
let refreshToken = null;

/** @param {string} key @param {string | null} value */
function keep(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // storage disabled: memory only
  }
}

/** @param {string} value @param {string | null} [refresh] */
export function setToken(value, refresh = null) {
  token = value;
  keep(KEY, value);
  if (refresh) {
    refreshToken = refresh;
    keep(REFRESH_KEY, refresh);
  }
}

export function clearToken() {
  token = null;
  refreshToken = null;
  keep(KEY, null);
  keep(REFRESH_KEY, null);
}

/** This tab's device id for sign-in (failures are counted per device): random, kept for the tab only. */
export function deviceId() {
  let id = null;
  try {
    id = sessionStorage.getItem(DEVICE_KEY);
  } catch {
    // memory only
  }
  if (!id) {
    id = `console-${crypto.randomUUID()}`;
    keep(DEVICE_KEY, id);
  }
  return id;
}

/** The tokens of a sign-in, refresh or MPIN change (`SignedIn` in @chehra/contract). @param {{accessToken: string, refreshToken: string}} signedIn */
export function useSession(signedIn) {
  setToken(signedIn.accessToken, signedIn.refreshToken);
}

/**
 * Ends the session in the service, then forgets it here, whatever the service answered. The
 * refresh token goes with it, so this works after the access token has expired (an admin back
 * from a break longer than 15 minutes).
 */
export async function logout() {
  const refresh = storedRefreshToken();
  if (token || refresh) {
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      await fetch('/v1/auth/logout', { method: 'POST', headers, body: JSON.stringify(refresh ? { refreshToken: refresh } : {}), cache: 'no-store', credentials: 'omit' });
    } catch {
      // offline: the access token still dies within 15 minutes; the refresh token is forgotten below
    }
  }
  clearToken();
}

/** The refresh token, from memory or (after a reload) the tab's storage. */
function storedRefreshToken() {
  if (!refreshToken) {
    try {
      refreshToken = sessionStorage.getItem(REFRESH_KEY);
    } catch {
      refreshToken = null;
    }
  }
  return refreshToken;
}

/** One refresh of an expired access token; false when there is none or it was refused. */
async function refreshOnce() {
  const refresh = storedRefreshToken();
  if (!refresh) return false;
  try {
    const res = await fetch('/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: refresh }), cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return false;
    useSession(await res.json());
    return true;
  } catch {
    return false;
  }
}

/** Called on any 401 (expired or invalid token): the app goes back to sign-in. @param {(err: ApiError) => void} fn */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * One request to the API. Throws ApiError with the service's {code, message}; status 0 when the
 * service could not be reached.
 * @param {string} path
 * @param {{method?: string, body?: unknown, raw?: boolean}} [opts]
 * @param {boolean} [retried] after one refresh of an expired token
 * @returns {Promise<any>}
 */
export async function api(path, opts = {}, retried = false) {
  /** @type {Record<string, string>} */
  const headers = { accept: opts.raw ? '*/*' : 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the service could not be reached');
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || `HTTP ${res.status}`;
    /** @type {string | undefined} */
    let caseId;
    try {
      const body = await res.json();
      if (body && typeof body.code === 'string') code = body.code;
      if (body && typeof body.message === 'string') message = body.message;
      if (body && typeof body.caseId === 'string') caseId = body.caseId;
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401 && code === 'token_expired' && !retried && (await refreshOnce())) return api(path, opts, true);
    const err = new ApiError(res.status, code, message, caseId);
    if (res.status === 401 && !path.startsWith('/v1/auth/')) onUnauthorized(err);
    throw err;
  }
  return opts.raw ? res : res.json();
}

/** @param {Record<string, string | number | undefined | null>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Downloads a file from the API with the Authorization header (a plain link could not carry it).
 * @param {string} path
 * @param {string} fallbackName
 */
export async function download(path, fallbackName) {
  const res = /** @type {Response} */ (await api(path, { raw: true }));
  const blob = await res.blob();
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
