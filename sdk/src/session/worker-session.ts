import { ChehraApiError, type CallOptions, type Enrolment, type GuardianVisit, type Verification } from '../client.js';
import { ChehraClient } from '../client/client.js';
import { newRequestNonce, sealEnvelope, type SealedEnvelope } from '../envelope/index.js';
import { checkCapture, isHandle, type PendingCapture, type SealableCapture } from './capture.js';
import { ChehraSessionError, closedError } from './errors.js';
import { handleOf, PendingCaptures, type Pending } from './pending.js';
import type { SignedIn, SignedInUser } from '../client/wire.js';
import type { SendOptions, SignInOptions, VerifyOptions, WorkerSessionOptions } from './options.js';
import { endSession, requestSignIn } from './sign-in.js';
import { currentServiceKey, type ServiceKey } from './service-key.js';
import { decodeClaims } from './token.js';

/**
 * The worker's session on the device. Everything it holds lives in memory only — the token,
 * the service's public key, and captures sealed but not yet answered — and `logout()` zeroes
 * the typed arrays and drops the rest. The SDK writes no file, ever.
 */

interface State {
  token: string | undefined;
  /** The sign-in's refresh token (memory only), when the session signed in itself. */
  refresh: string | undefined;
  mustChangeMpin: boolean;
  key: ServiceKey | undefined;
  keyFetch: Promise<ServiceKey> | undefined;
  pending: PendingCaptures;
  closed: boolean;
  abort: AbortController;
}

const DEFAULT_PENDING_TTL_MS = 120_000;

let peek: (s: WorkerSession) => State;

export class WorkerSession {
  readonly #state: State;
  readonly #client: ChehraClient;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #useServerClock: boolean;
  readonly #worker: string;
  readonly #options: WorkerSessionOptions;
  #tokenExp: number | undefined;
  #user: SignedInUser | undefined;
  #counter = 0;

  static {
    peek = (s) => s.#state;
  }

  /** A session with the service key already fetched (step 2 of the data flow). */
  static async open(options: WorkerSessionOptions): Promise<WorkerSession> {
    const session = new WorkerSession(options);
    await session.refreshKeys();
    return session;
  }

  /**
   * Signs in with mobile + MPIN (POST /v1/auth/login) and opens the session. With a one-time MPIN
   * (`mustChangeMpin`), only `changeMpin` and `logout` work until she has set her own.
   */
  static async signIn(options: SignInOptions): Promise<WorkerSession> {
    const { mobile: _m, mpin: _p, deviceId: _d, ...rest } = options;
    const signed = await requestSignIn(options);
    const session = new WorkerSession({ ...rest, token: signed.accessToken, refreshToken: signed.refreshToken });
    session.#adopt(signed);
    await session.refreshKeys();
    return session;
  }

  constructor(options: WorkerSessionOptions) {
    const claims = decodeClaims(options.token);
    this.#options = options;
    this.#worker = claims.sub;
    this.#tokenExp = claims.exp;
    this.#ttl = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
    if (!(this.#ttl > 0)) throw new RangeError('pendingTtlMs must be positive');
    this.#now = options.now ?? Date.now;
    this.#useServerClock = options.useServerClock ?? true;
    this.#state = { token: options.token, refresh: options.refreshToken, mustChangeMpin: false, key: undefined, keyFetch: undefined, pending: new PendingCaptures(this.#ttl, this.#now), closed: false, abort: new AbortController() };
    this.#client = new ChehraClient({
      baseUrl: options.baseUrl,
      token: () => this.#open().token,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now: this.#now,
    });
  }

  /** The worker id (`sub` of the token), sealed into every envelope. */
  get worker(): string {
    this.#open();
    return this.#worker;
  }

  /** When the token expires, by its own claim (not verified; for the UI to prompt sign-in). */
  get tokenExpiresAt(): Date | undefined {
    return this.#tokenExp === undefined ? undefined : new Date(this.#tokenExp * 1000);
  }

  /** Signed in with a one-time MPIN: call `changeMpin` before anything else. */
  get mustChangeMpin(): boolean {
    return this.#open().mustChangeMpin;
  }

  /** Her account as the service gave it at sign-in (mobile masked), when the session signed in itself. */
  get user(): SignedInUser | undefined {
    this.#open();
    return this.#user;
  }

  /** Sets her own MPIN (after a one-time MPIN, or any time); the service starts a fresh session. */
  async changeMpin(currentMpin: string, newMpin: string, options: CallOptions = {}): Promise<void> {
    this.#open();
    this.#adopt(await this.#guard(() => this.#client.changeMpin({ currentMpin, newMpin }, this.#callOptions(options))));
  }

  /** A new access token from the refresh token (spent: a second use ends the session in the service). */
  async refresh(options: CallOptions = {}): Promise<void> {
    const refresh = this.#open().refresh;
    if (!refresh) throw new ChehraSessionError('refresh_unavailable', 'this session was opened with a token only; sign in again');
    this.#adopt(await this.#guard(() => this.#client.refresh(refresh, this.#callOptions(options))));
  }

  /** Takes the tokens of a sign-in, refresh or MPIN change (same worker only). */
  #adopt(signed: SignedIn): void {
    const state = this.#open();
    const claims = decodeClaims(signed.accessToken);
    if (claims.sub !== this.#worker) throw new ChehraSessionError('token_worker_mismatch', 'the new token belongs to another worker; log out and start a new session');
    state.token = signed.accessToken;
    state.refresh = signed.refreshToken;
    state.mustChangeMpin = signed.mustChangeMpin;
    this.#tokenExp = claims.exp;
    this.#user = signed.user;
  }

  get closed(): boolean {
    return this.#state.closed;
  }

  /** kid of the service key captures are sealed to, once fetched. */
  get serviceKeyId(): string | undefined {
    return this.#state.key?.kid;
  }

  /** The authenticated client for the other routes (beneficiaries, consents). Refused after logout. */
  get api(): ChehraClient {
    this.#open();
    return this.#client;
  }

  /** After re-authentication: same worker, fresh token. Pending captures stay valid. */
  replaceToken(token: string): void {
    const state = this.#open();
    const claims = decodeClaims(token);
    if (claims.sub !== this.#worker) throw new ChehraSessionError('token_worker_mismatch', 'the new token belongs to another worker; log out and start a new session');
    state.token = token;
    this.#tokenExp = claims.exp;
  }

  /** Fetches GET /v1/keys and keeps the current key (concurrent callers share one request). */
  refreshKeys(options: CallOptions = {}): Promise<{ kid: string }> {
    const state = this.#open();
    state.keyFetch ??= this.#fetchKey(state, options).finally(() => {
      state.keyFetch = undefined;
    });
    return state.keyFetch.then((k) => ({ kid: k.kid }));
  }

  async #fetchKey(state: State, options: CallOptions): Promise<ServiceKey> {
    const keys = await this.#guard(() => this.#client.keys(this.#callOptions(options)));
    const { kid, publicKey } = currentServiceKey(keys);
    if (state.closed) {
      publicKey.fill(0);
      throw closedError();
    }
    state.key?.publicKey.fill(0);
    state.key = { kid, publicKey };
    return state.key;
  }

  async #currentKey(options: CallOptions): Promise<ServiceKey> {
    const state = this.#open();
    if (state.key) return state.key;
    await this.refreshKeys(options);
    const key = this.#open().key;
    if (!key) throw new ChehraSessionError('service_key_invalid', 'the service did not offer a usable current encryption key');
    return key;
  }

  /**
   * Seals the pipeline's ok-result to the service key, bound to this worker, a fresh request
   * nonce and the capture time; zeroes `capture.embedding` once sealed. The sealed capture
   * waits in memory (at most `pendingTtlMs`) until sent with `enrol` or `verify`.
   */
  async seal(capture: SealableCapture, options: CallOptions = {}): Promise<PendingCapture> {
    this.#open();
    const checked = checkCapture(capture);
    const key = await this.#currentKey(options);
    const state = this.#open();
    const now = this.#now();
    const embedding = Float32Array.from(capture.embedding);
    capture.embedding.fill(0);
    const entry: Pending = {
      id: `c${++this.#counter}`,
      kid: key.kid,
      capturedAt: Math.round(now + (this.#useServerClock ? (this.#client.serverClockOffsetMs ?? 0) : 0)),
      expiresAt: now + this.#ttl,
      embedding,
      modelId: checked.modelId,
      quality: checked.quality,
      liveness: checked.liveness,
      envelope: undefined as unknown as SealedEnvelope,
      timer: undefined,
    };
    entry.envelope = this.#sealEntry(entry, key);
    return state.pending.add(entry);
  }

  #sealEntry(entry: Pending, key: ServiceKey): SealedEnvelope {
    const envelope = sealEnvelope(
      {
        embedding: entry.embedding,
        modelId: entry.modelId,
        quality: entry.quality,
        liveness: entry.liveness,
        capturedAt: entry.capturedAt,
        requestNonce: newRequestNonce(),
        worker: this.#worker,
      },
      key,
    );
    entry.kid = key.kid;
    return envelope;
  }

  /** Captures sealed and not yet answered (handles only). */
  pending(): PendingCapture[] {
    return this.#open().pending.list();
  }

  /** The sealed envelope of a pending capture, for sending it some other way. */
  envelopeOf(capture: PendingCapture): SealedEnvelope {
    return this.#live(capture).envelope;
  }

  /** Drops a pending capture and zeroes its embedding (the worker cancelled). */
  discard(capture: PendingCapture): void {
    const pending = this.#open().pending;
    const entry = pending.get(capture.id);
    if (entry) pending.drop(entry);
  }

  /** Enrols the beneficiary's face: seals `capture` (or sends an already sealed one). */
  enrol(beneficiaryId: string, capture: SealableCapture | PendingCapture, options: SendOptions = {}): Promise<Enrolment> {
    return this.#send(capture, options, (envelope, o) => this.#client.enrolTemplate(beneficiaryId, envelope, o));
  }

  /**
   * Enrols from 2–3 captures of one person (an EnrolmentGuide's `take()`): each is sealed and they
   * are sent together; the service checks they agree and stores their mean. Any answer, or a
   * failure, consumes every capture (zeroed).
   */
  async enrolCaptures(beneficiaryId: string, captures: SealableCapture[], options: SendOptions = {}): Promise<Enrolment> {
    const handles: PendingCapture[] = [];
    try {
      for (const c of captures) handles.push(await this.seal(c, options));
      return await this.#guard(() => this.#client.enrolTemplates(beneficiaryId, handles.map((h) => this.#live(h).envelope), this.#callOptions(options)));
    } finally {
      for (const c of captures) c.embedding.fill(0);
      if (!this.#state.closed) for (const h of handles) this.discard(h);
    }
  }

  /** A guardian collects for her children with one capture of her own face (one distribution per child). */
  guardianVisit(guardianId: string, childIds: string[], capture: SealableCapture | PendingCapture, options: VerifyOptions = {}): Promise<GuardianVisit> {
    const { scheme, deviceId, ...call } = options;
    return this.#send(capture, call, (envelope, o) => this.#client.guardianVisit({ guardianId, childIds, ...(scheme ? { scheme } : {}), envelope, ...(deviceId ? { deviceId } : {}) }, o));
  }

  /**
   * 1:1 verification for the month's ration: seals `capture` (or sends an already sealed one).
   * Refusals (already_distributed, consent_required…) throw ChehraApiError with `fallback`.
   */
  verify(beneficiaryId: string, capture: SealableCapture | PendingCapture, options: VerifyOptions = {}): Promise<Verification> {
    const { scheme, deviceId, ...call } = options;
    return this.#send(capture, call, (envelope, o) => this.#client.verify({ beneficiaryId, ...(scheme ? { scheme } : {}), envelope, ...(deviceId ? { deviceId } : {}) }, o));
  }

  /**
   * Sends a pending capture. Any answer of the service consumes it (a second send of the same
   * envelope would be a replay). On `envelope_unknown_key` the service rotated its key past
   * the grace period: refetch the keys once and re-seal. On a network failure or timeout the
   * capture stays pending until it expires, so the app can resend it (harmless: the service
   * refuses a replayed nonce); the error's `capture` names it.
   */
  async #send<T>(capture: SealableCapture | PendingCapture, options: SendOptions, call: (envelope: SealedEnvelope, o: CallOptions) => Promise<T>): Promise<T> {
    this.#open();
    const handle = isHandle(capture) ? capture : await this.seal(capture, options);
    let resealed = false;
    let refreshed = false;
    for (;;) {
      const entry = this.#live(handle);
      try {
        const result = await this.#guard(() => call(entry.envelope, this.#callOptions(options)));
        this.#drop(entry);
        return result;
      } catch (err) {
        if (this.#state.closed) throw closedError();
        // An expired access token is refused before the envelope is opened (its nonce is not spent): refresh once, resend.
        if (err instanceof ChehraApiError && err.code === 'token_expired' && !refreshed && this.#state.refresh) {
          refreshed = true;
          await this.refresh(options);
          continue;
        }
        if (err instanceof ChehraApiError && err.code === 'envelope_unknown_key' && !resealed) {
          resealed = true;
          await this.refreshKeys(options);
          const live = this.#live(handle);
          live.envelope = this.#sealEntry(live, this.#open().key!);
          continue;
        }
        if (err instanceof ChehraApiError && err.isNetworkFailure && this.#state.pending.has(entry.id)) {
          err.capture = handleOf(entry);
        } else {
          this.#drop(entry);
        }
        throw err;
      }
    }
  }

  /**
   * Ends the session: aborts requests in flight, zeroes the service key and every embedding
   * held for pending captures, drops the tokens and envelopes — at once, before any network —
   * then, when this session owns the sign-in (it signed in itself, or was given the refresh
   * token), ends it in the service (POST /v1/auth/logout, with the refresh token, so this works
   * after the access token has expired), so the token is refused even if a copy exists. A session opened with a bare token leaves that to whoever signed in. Resolves true
   * when the service confirmed it. Every later call throws `session_closed`. Safe to call twice.
   */
  logout(): Promise<boolean> {
    const state = this.#state;
    if (state.closed) return Promise.resolve(false);
    const token = state.token;
    const refresh = state.refresh;
    state.closed = true;
    state.abort.abort();
    state.pending.dropAll();
    state.key?.publicKey.fill(0);
    state.key = undefined;
    state.keyFetch = undefined;
    state.token = undefined;
    state.refresh = undefined;
    this.#user = undefined;
    // Only a session that owns its sign-in (it holds the refresh token) ends it in the service.
    return token && refresh ? endSession(this.#options, token, refresh) : Promise.resolve(false);
  }

  #open(): State {
    if (this.#state.closed) throw closedError();
    return this.#state;
  }

  #live(handle: PendingCapture): Pending {
    return this.#open().pending.live(handle);
  }

  #drop(entry: Pending): void {
    this.#state.pending.drop(entry);
  }

  #callOptions(options: CallOptions): CallOptions {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#state.abort.signal]) : this.#state.abort.signal;
    return { ...options, signal };
  }

  /** A request cut short by logout reports `session_closed`, not `aborted`. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.#state.closed) throw closedError();
      throw err;
    }
  }
}

/**
 * @internal For the SDK's own tests: the typed arrays a session holds right now, so a test can
 * check that logout and expiry zero them. Not exported from the package index.
 */
export function heldBuffersForTesting(session: WorkerSession): { serviceKey: Uint8Array | undefined; embeddings: Float32Array[] } {
  const state = peek(session);
  return { serviceKey: state.key?.publicKey, embeddings: state.pending.embeddings() };
}
