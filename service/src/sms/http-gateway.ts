import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SmsGatewayConfig } from '../config.js';
import type { SmsReceipt, SmsSender, SmsStatus } from './sender.js';

/**
 * A production SMS sender for any HTTP gateway that takes one JSON POST per message — the shape
 * Indian bulk-SMS providers offer for DLT-registered traffic (TRAI's rules: every commercial SMS
 * names its registered template id and sender header, and the text must match the template).
 *
 *   POST SMS_GATEWAY_URL            (+ SMS_GATEWAY_AUTH_HEADER, + Idempotency-Key: reference)
 *   {"to":"+91…","text":"…","sender":"POSHAN","dltTemplateId":"…","dltEntityId":"…","reference":"uuid"}
 *   → 2xx {"id":"gateway-message-id","status":"accepted"}
 *
 *   GET SMS_GATEWAY_STATUS_URL with {id} → {"status":"delivered"}   (delivery report, optional)
 *
 * Timeouts, network errors, 408, 429 and 5xx are retried with exponential backoff (honouring
 * Retry-After); the same reference and Idempotency-Key go with every retry, so a gateway that saw the
 * first try does not send the OTP twice. Other 4xx are the request's fault and are not retried.
 * Errors name the gateway's status, never the number or the text (which holds the OTP).
 */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

const STATUS_WORDS: Record<string, SmsStatus> = {
  accepted: 'accepted', queued: 'accepted', submitted: 'accepted', sent: 'accepted', enroute: 'accepted',
  delivered: 'delivered', delivrd: 'delivered',
  failed: 'failed', undelivered: 'failed', undeliv: 'failed', rejected: 'failed', expired: 'failed', rejectd: 'failed',
};
const toStatus = (v: unknown): SmsStatus => (typeof v === 'string' ? (STATUS_WORDS[v.toLowerCase()] ?? 'unknown') : 'unknown');

export interface HttpGatewayOptions extends SmsGatewayConfig {
  /** For tests: the wait before retry n (0-based), given the server's Retry-After if any. */
  backoffMs?: (attempt: number, retryAfterMs?: number) => number;
}

export class HttpSmsGateway implements SmsSender {
  readonly kind = 'gateway';
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: HttpGatewayOptions) {
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (opts.authHeader) {
      const i = opts.authHeader.indexOf(':');
      this.headers[opts.authHeader.slice(0, i).trim().toLowerCase()] = opts.authHeader.slice(i + 1).trim();
    }
  }

  async send(to: string, text: string): Promise<SmsReceipt> {
    const reference = randomUUID();
    const body = JSON.stringify({ to, text, sender: this.opts.senderId, dltTemplateId: this.opts.dltTemplateId, ...(this.opts.dltEntityId ? { dltEntityId: this.opts.dltEntityId } : {}), reference });
    let last: SmsSendError | undefined;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt - 1, last));
      try {
        const res = await fetch(this.opts.url, { method: 'POST', headers: { ...this.headers, 'idempotency-key': reference }, body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
        const answer = (await res.json().catch(() => ({}))) as { id?: unknown; status?: unknown };
        if (res.ok) {
          if (typeof answer.id !== 'string' || !answer.id) throw new SmsSendError('the gateway accepted the message but returned no id', false, res.status);
          return { id: answer.id, status: answer.status === undefined ? 'accepted' : toStatus(answer.status) };
        }
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        last = Object.assign(new SmsSendError(`the SMS gateway answered ${res.status}`, retryable, res.status), { retryAfterMs: retryAfter(res.headers.get('retry-after')) });
      } catch (err) {
        if (err instanceof SmsSendError) throw err;
        const timedOut = (err as Error).name === 'TimeoutError';
        // fetch wraps the socket error: its errno code (ECONNREFUSED, ENOTFOUND) is what an operator needs.
        const cause = ((err as { cause?: NodeJS.ErrnoException }).cause?.code) ?? 'network error';
        last = new SmsSendError(timedOut ? `the SMS gateway did not answer within ${this.opts.timeoutMs} ms` : `the SMS gateway cannot be reached (${cause})`, true);
      }
      if (!last.retryable) throw last;
    }
    throw new SmsSendError(`${last!.message}, after ${this.opts.retries + 1} tries`, true, last!.status);
  }

  async deliveryStatus(id: string, opts: { timeoutMs?: number } = {}): Promise<SmsStatus> {
    if (!this.opts.statusUrl) return 'unknown';
    const url = this.opts.statusUrl.replace('{id}', encodeURIComponent(id));
    const res = await fetch(url, { headers: this.headers, signal: AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs) });
    if (res.status === 404) return 'unknown';
    if (!res.ok) throw new SmsSendError(`the SMS gateway's status endpoint answered ${res.status}`, res.status >= 500, res.status);
    return toStatus(((await res.json().catch(() => ({}))) as { status?: unknown }).status);
  }

  private backoff(attempt: number, last: (SmsSendError & { retryAfterMs?: number }) | undefined): number {
    if (this.opts.backoffMs) return this.opts.backoffMs(attempt, last?.retryAfterMs);
    const exp = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
    // Full jitter: many services retrying after one gateway hiccup do not come back in step.
    return Math.max(last?.retryAfterMs ?? 0, Math.random() * exp);
  }
}

function retryAfter(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.min(MAX_BACKOFF_MS, Math.max(0, s * 1000));
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.min(MAX_BACKOFF_MS, Math.max(0, at - Date.now()));
}
