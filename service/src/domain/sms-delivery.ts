import type { FastifyBaseLogger } from 'fastify';
import type { SmsSender, SmsStatus } from '../sms/sender.js';

/**
 * Whether each OTP of a fallback case reached the phone, for the district admin's case view.
 *
 * Asked of the gateway when the admin opens the case, not polled in the background: a case is
 * opened a few times, days after its OTPs, while a poller would have to track every message of
 * every replica until it settles, for statuses that almost nobody reads. The price is that the
 * view waits for the gateway, so each question has a short timeout of its own (the messages are
 * asked in parallel) and a gateway that does not answer in time, or fails, gives `unknown`: the
 * case view never fails because the SMS provider is slow.
 */
export const DELIVERY_STATUS_TIMEOUT_MS = 1500;

export interface OtpMessage {
  sentAt: Date;
  /** The gateway's id (SmsReceipt.id); null when the send failed or predates migration 011. */
  smsMessageId: string | null;
}

export async function deliveryOf(
  sms: SmsSender,
  messages: readonly OtpMessage[],
  log: FastifyBaseLogger,
  timeoutMs = DELIVERY_STATUS_TIMEOUT_MS,
): Promise<Array<{ sentAt: string; delivery: SmsStatus }>> {
  return Promise.all(
    messages.map(async (m) => {
      let delivery: SmsStatus = 'unknown';
      if (m.smsMessageId && sms.deliveryStatus) {
        try {
          delivery = await sms.deliveryStatus(m.smsMessageId, { timeoutMs });
        } catch (err) {
          // The error names the gateway's answer or the timeout, never the number or the text.
          log.warn({ errType: (err as Error).name, reason: (err as Error).message }, 'SMS delivery status unavailable');
        }
      }
      return { sentAt: m.sentAt.toISOString(), delivery };
    }),
  );
}
