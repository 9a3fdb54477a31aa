import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Chromium profile snapshots: every file with its size and hash, to compare a profile before
 * and after a day in the app. What the browser writes for itself (preferences, its HTTP cache
 * of our public files, compiled-code cache, histories of URLs) may change; the web storage
 * areas an origin can write to must not appear, and no file may hold a day's secret.
 */
export type Snapshot = Map<string, string>;

export function snapshotProfile(dir: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          out.set(relative(dir, p), `${statSync(p).size}:${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
        } catch {
          // A file the browser removed while we walked: not ours.
        }
      }
    }
  };
  walk(dir);
  return out;
}

export function changedFiles(before: Snapshot, after: Snapshot): string[] {
  return [...after.entries()].filter(([p, sig]) => before.get(p) !== sig).map(([p]) => p);
}

/** Where an origin's own storage lives in a Chromium profile. */
export const ORIGIN_STORAGE = /(^|\/)(IndexedDB|Local Storage|Session Storage|Service Worker|CacheStorage|File System|Storage\/ext|databases|blob_storage|WebStorage)(\/|$)/;

/** Files among `paths` (relative to `dir`) whose bytes contain any of `secrets` (UTF-8 or UTF-16LE). */
export function filesHolding(dir: string, paths: string[], secrets: string[]): Array<{ path: string; secret: string }> {
  const hits: Array<{ path: string; secret: string }> = [];
  const needles = secrets.filter(Boolean).flatMap((s) => [{ s, b: Buffer.from(s, 'utf8') }, { s, b: Buffer.from(s, 'utf16le') }]);
  for (const p of paths) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, p));
    } catch {
      continue;
    }
    for (const n of needles) if (bytes.includes(n.b)) hits.push({ path: p, secret: n.s.slice(0, 6) + '…' });
  }
  return hits;
}
