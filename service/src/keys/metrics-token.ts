import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecretFile } from './files.js';

/**
 * The bearer token Prometheus sends to GET /metrics, made on first start: a plain text file (0600)
 * so that a scrape config can point `authorization.credentials_file` straight at it.
 */
export function loadOrCreateMetricsToken(dir: string): { token: string; path: string; created: boolean } {
  const path = join(dir, 'metrics-token');
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), path, created: false };
  const token = randomBytes(32).toString('base64url');
  writeSecretFile(path, `${token}\n`);
  return { token, path, created: true };
}
