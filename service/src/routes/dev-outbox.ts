import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DevOutbox as DevOutboxBody, DevOutboxQuery } from '@chehra/contract';
import { ROLES } from '../auth/principal.js';
import type { DevOutbox } from '../sms/sender.js';
import { replies } from './schemas.js';

export const DEV_OUTBOX_WARNING = 'development SMS outbox: these messages were NOT delivered to any phone; set SMS_GATEWAY_URL for production';

/**
 * GET /v1/dev/outbox — the development outbox, as a phone would have received it. app.ts registers
 * it only when the development sender is configured, so it does not exist in production; every
 * answer says so in a header and a field. It needs a token (it holds OTPs), of any role.
 */
export const devOutboxRoutes: FastifyPluginAsyncTypebox<{ outbox: DevOutbox }> = async (app, { outbox }) => {
  app.get(
    '/v1/dev/outbox',
    { config: { roles: ROLES }, schema: { querystring: DevOutboxQuery, response: replies({ 200: DevOutboxBody }) } },
    async (req, reply) => {
      const { to, limit = 50 } = req.query;
      const messages = (to ? outbox.messages.filter((m) => m.to === to) : outbox.messages).slice(-limit).reverse();
      reply.header('x-chehra-sms', 'development-outbox; not-delivered');
      return { development: true as const, warning: DEV_OUTBOX_WARNING, messages: messages.map((m) => ({ id: m.id, to: m.to, text: m.text, at: m.at.toISOString() })) };
    },
  );
};
