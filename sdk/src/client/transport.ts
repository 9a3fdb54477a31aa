import { ChehraApiError, ChehraError, type ClientErrorCode } from './errors.js';

export interface ChehraClientOptions {
  /** e.g. https://chehra.example.gov.in — without a trailing path. */
  baseUrl: string;
  /**
   * The bearer token, or a function returning it (so the token can live in a session and be
   * dropped on logout). Public routes (keys, health) are sent without it.
   */
  token?: string | (() => string | undefined);
  /**
   * Per-attempt timeout. Default 30 s: an envelope is ~4 KB, which crawls over 2G in a
   * village but arrives well within this; a hung connection does not hold the worker forever.
   */
  timeoutMs?: number;
  /** Extra attempts for idempotent GETs after a network failure, timeout or 5xx. Default 2. POSTs are never retried. */
  getRetries?: number;
  /** Pause before the first GET retry, doubled each time. Default 500 ms. */
  retryDelayMs?: number;
  /** Injected for tests or unusual platforms; default the global fetch. */
  fetch?: typeof fetch;
  /** This device's clock (for `serverClockOffsetMs`); default Date.now. */
  now?: () => number;
}

export interface CallOptions {
  /** Cancels the request (e.g. the worker left the screen); the error's code is `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

export type Method = 'GET' | 'POST';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One request to the service and its answer, or a ChehraApiError: the timeout, the retries of
 * idempotent GETs, and the mapping of every failure (network, proxy page, service refusal) to a
 * code. The routes are in ChehraClient.
 */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly token: ChehraClientOptions['token'];
  private readonly timeoutMs: number;
  private readonly getRetries: number;
  private readonly retryDelayMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private clockOffset: number | undefined;

  constructor(options: ChehraClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ChehraError('invalid_base_url', 'baseUrl must be an absolute http(s) URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ChehraError('invalid_base_url', 'baseUrl must be an absolute http(s) URL');
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.getRetries = options.getRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = options.now ?? Date.now;
  }

  /** See ChehraClient.serverClockOffsetMs. */
  get serverClockOffsetMs(): number | undefined {
    return this.clockOffset;
  }

  /** `template` names the route in errors (`/v1/beneficiaries/:id`): ids and bodies never appear in one. */
  async request<T>(method: Method, path: string, template: string, body: unknown, auth: boolean, opts: CallOptions = {}): Promise<T> {
    const route = `${method} ${template}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) {
      const token = typeof this.token === 'function' ? this.token() : this.token;
      if (token) headers.authorization = `Bearer ${token}`;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const attempts = method === 'GET' ? 1 + Math.max(0, this.getRetries) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, route, headers, payload, opts);
      } catch (err) {
        const retriable = err instanceof ChehraApiError && (err.isNetworkFailure || err.status >= 500);
        if (!retriable || attempt >= attempts || opts.signal?.aborted) throw err;
        await sleep(this.retryDelayMs * 2 ** (attempt - 1), opts.signal);
      }
    }
  }

  private async once<T>(method: Method, path: string, route: string, headers: Record<string, string>, payload: string | undefined, opts: CallOptions): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const fail = (code: ClientErrorCode, message: string, networkCode?: string) =>
      new ChehraApiError({ status: 0, code, message, route, ...(networkCode ? { networkCode } : {}) });
    const sentAt = this.now();
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }), signal });
      // The timeout covers the body too: a connection that stalls mid-answer is a timeout.
      text = await res.text();
    } catch (err) {
      // Never pass the underlying error on: keep only what says why the network failed.
      if (opts.signal?.aborted) throw fail('aborted', 'the request was cancelled');
      if (timeout.aborted) throw fail('timeout', `no answer from the service within ${Math.round((opts.timeoutMs ?? this.timeoutMs) / 1000)} s; check the connection`);
      const networkCode = errnoOf(err);
      throw fail('network_error', `could not reach the service${networkCode ? ` (${networkCode})` : ''}; check the connection`, networkCode);
    }
    this.noteServerTime(res.headers.get('date'), sentAt);

    let json: unknown;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status === 204) return undefined as T;
    if (res.ok) {
      if (json === null || typeof json !== 'object') {
        throw new ChehraApiError({ status: res.status, code: 'invalid_response', message: 'the answer was not the service JSON (a proxy or captive portal?)', route });
      }
      return json as T;
    }
    if (json && typeof json === 'object' && typeof (json as Record<string, unknown>).code === 'string') {
      const { code, message, ...details } = json as Record<string, unknown>;
      throw new ChehraApiError({ status: res.status, code: code as string, message: typeof message === 'string' ? message : 'the service refused the request', route, details });
    }
    throw new ChehraApiError({
      status: res.status,
      code: res.status >= 500 ? 'server_error' : 'invalid_response',
      message: res.status >= 500 ? 'the service failed; try again later' : 'the answer was not the service JSON (a proxy or captive portal?)',
      route,
    });
  }

  private noteServerTime(date: string | null, sentAt: number): void {
    if (!date) return;
    const server = Date.parse(date);
    if (!Number.isFinite(server)) return;
    // The header has 1 s resolution and is stamped somewhere between sending and receiving.
    this.clockOffset = server + 500 - (sentAt + this.now()) / 2;
  }
}

function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
