import type { FastifyBaseLogger } from 'fastify';
import type { ServiceContext } from '../context.js';
import { sealAuditLog } from '../db/repositories/audit.js';
import { checkpointAuditLog } from './audit-checkpoint.js';

export interface AuditSealer {
  /** Stops the timers, then seals and signs what is left (at shutdown). */
  stop(): Promise<void>;
}

/**
 * The background half of the audit log: writers only append; this chains their entries every
 * `sealMs` and signs the head every `checkpointMs`. One round at a time; several service
 * processes may run one each (the sealer's row lock makes them take turns). A failed round is
 * logged by its kind only and retried on the next tick: an unsealed entry is late, not lost.
 */
export function startAuditSealer(ctx: ServiceContext, log: FastifyBaseLogger, opts: { sealMs: number; checkpointMs: number }): AuditSealer {
  let running: Promise<void> = Promise.resolve();
  const once = async (what: 'seal' | 'checkpoint') => {
    if (what === 'seal') return void (await sealAuditLog(ctx.db));
    const made = await checkpointAuditLog(ctx.db, ctx.auditKey, ctx.clock());
    if (made) log.info({ seq: made.seq }, 'audit checkpoint signed');
  };
  const round = (what: 'seal' | 'checkpoint') => {
    running = running.then(() => once(what)).catch((err) => log.warn({ errType: err?.name, errCode: err?.code }, `audit ${what} failed`));
    return running;
  };
  const seal = setInterval(() => void round('seal'), opts.sealMs);
  const checkpoint = setInterval(() => void round('checkpoint'), opts.checkpointMs);
  seal.unref();
  checkpoint.unref();
  return {
    async stop() {
      clearInterval(seal);
      clearInterval(checkpoint);
      await round('checkpoint');
    },
  };
}
