import type { SmsStatus } from '@chehra/contract';

export type { SmsStatus };

/** What the gateway said about one message. */
export interface SmsReceipt {
  /** The gateway's id for the message, for delivery status; the outbox makes its own. */
  id: string;
  status: SmsStatus;
}


/** Delivers a text message. Production wires a gateway (DLT-registered template) behind this. */
export interface SmsSender {
  /** Development (kept in memory, not delivered) or a real gateway: start-up logs and /v1/dev/outbox say which. */
  readonly kind: 'development' | 'gateway';
  send(to: string, text: string): Promise<SmsReceipt>;
  /**
   * The delivery status of a sent message (its receipt id), where the gateway reports it. A review
   * page waits for it, so the caller may ask for a shorter timeout than a send's.
   */
  deliveryStatus?(id: string, opts?: { timeoutMs?: number }): Promise<SmsStatus>;
}

export interface OutboxMessage {
  id: string;
  to: string;
  text: string;
  at: Date;
}

/**
 * Development sender: keeps messages in memory, where tests, the demo and GET /v1/dev/outbox read
 * them. It never logs the text, which carries the OTP.
 */
export class DevOutbox implements SmsSender {
  readonly kind = 'development';
  readonly messages: OutboxMessage[] = [];
  private next = 1;

  /** Only the newest messages are kept, so a long-running development service does not grow. */
  constructor(private readonly keep = 1000) {}

  async send(to: string, text: string): Promise<SmsReceipt> {
    const id = `dev-${this.next++}`;
    this.messages.push({ id, to, text, at: new Date() });
    if (this.messages.length > this.keep) this.messages.splice(0, this.messages.length - this.keep);
    return { id, status: 'accepted' };
  }

  /** Nothing is delivered in development: a message still kept is `accepted`, as its receipt said. */
  async deliveryStatus(id: string): Promise<SmsStatus> {
    return this.messages.some((m) => m.id === id) ? 'accepted' : 'unknown';
  }

  /** The newest message to a number, if any. */
  latestTo(to: string): OutboxMessage | undefined {
    return this.messages.filter((m) => m.to === to).at(-1);
  }
}
