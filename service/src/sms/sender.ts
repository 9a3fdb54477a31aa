/** Delivers a text message. Production wires a gateway (DLT-registered template) behind this. */
export interface SmsSender {
  send(to: string, text: string): Promise<void>;
}

export interface OutboxMessage {
  to: string;
  text: string;
  at: Date;
}

/**
 * Development sender: keeps messages in memory, where tests and the demo read them.
 * It never logs the text, which carries the OTP.
 */
export class DevOutbox implements SmsSender {
  readonly messages: OutboxMessage[] = [];

  /** Only the newest messages are kept, so a long-running development service does not grow. */
  constructor(private readonly keep = 1000) {}

  async send(to: string, text: string): Promise<void> {
    this.messages.push({ to, text, at: new Date() });
    if (this.messages.length > this.keep) this.messages.splice(0, this.messages.length - this.keep);
  }

  /** The newest message to a number, if any. */
  latestTo(to: string): OutboxMessage | undefined {
    return this.messages.filter((m) => m.to === to).at(-1);
  }
}
