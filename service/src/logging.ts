import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/**
 * pino, as fastify ships it: JSON lines for collectors, or pino-pretty's coloured lines for a person
 * at a terminal (LOG_FORMAT=pretty; the default when stdout is a TTY outside production).
 * Authorization headers are redacted should a request ever be logged whole.
 */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions['logger'] {
  const redact = { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' };
  if (config.logFormat === 'pretty') {
    return { level: config.logLevel, redact, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true } } };
  }
  return { level: config.logLevel, redact };
}
