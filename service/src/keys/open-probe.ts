import { EnvelopeError } from '@chehra/sdk/envelope';
import type { Principal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { checkProbe, type Probe } from '../domain/probe.js';
import { ApiError } from '../errors.js';
import { openSealedEnvelope } from './open-envelope.js';

/** Envelope in, checked probe out; every way it can be wrong becomes a 4xx with its own code. */
export function openProbe(ctx: ServiceContext, envelope: unknown, principal: Principal): Probe {
  const now = ctx.clock();
  try {
    const payload = openSealedEnvelope(envelope, ctx.keyring, now);
    return checkProbe(payload, principal.sub, now, ctx);
  } catch (err) {
    if (err instanceof EnvelopeError) throw new ApiError(400, err.code, err.message);
    throw err;
  }
}
