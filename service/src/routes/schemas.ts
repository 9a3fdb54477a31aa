import { Day, ErrorBody, IdParams, NonBlank, Offset, Page, Scheme, SealedEnvelope, Uuid, type TSchema } from '@chehra/contract';

// The wire's schemas live in @chehra/contract; import them from there. These names are kept for
// routes written before the contract existed.
export { Day, IdParams, NonBlank, Offset, Page, Scheme, Uuid, SealedEnvelope as SealedEnvelopeSchema };

/**
 * A route's `response` schemas: its success bodies plus {code, message} for every 4xx and 5xx.
 * Fastify serialises each answer through the schema for its status, dropping any field not
 * listed: a second guard (after the views) against an unmasked mobile number or a raw row leaving.
 */
export const replies = <const T extends Record<number, TSchema>>(ok: T) => ({ ...ok, '4xx': ErrorBody, '5xx': ErrorBody }) as T & { '4xx': typeof ErrorBody; '5xx': typeof ErrorBody };
