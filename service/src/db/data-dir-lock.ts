import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { StartupError } from '../startup-error.js';

/**
 * One process per embedded database. PGlite has no postmaster to refuse a second writer: two
 * services on one data directory both accept writes and corrupt each other's pages (acknowledged
 * rows gone and the audit chain broken after a restart). A lock directory next to the data —
 * `mkdir` is atomic, proper-lockfile refreshes its mtime while we live — makes the second refuse.
 *
 * A process that died without releasing (kill -9, power loss) leaves the lock behind; it goes stale
 * once its mtime stops moving for STALE_MS. The owner file says who holds it, so a second start
 * refuses at once while the owner lives, and waits out the staleness only when the owner is gone.
 */
const STALE_MS = 20_000;
/** Refreshed this often; well under STALE_MS so that a busy event loop (a long WASM query) does not lose it. */
const UPDATE_MS = 4_000;

interface Owner {
  pid: number;
  host: string;
  since: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

const paths = (dir: string) => ({ lock: `${dir}.lock`, owner: `${dir}.lock-owner.json` });

function readOwner(path: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** Whether the owner process still runs: only knowable on this host (a pid elsewhere means nothing here). */
function ownerRuns(owner: Owner): boolean {
  // Our own pid in the file is a previous life of this process slot (pid 1 in a container), not us.
  if (owner.host !== hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockAgeMs = (path: string) => {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/** Takes the exclusive lock on an embedded database directory, or throws a StartupError that says who holds it. */
export async function lockDataDir(dir: string, opts: { onCompromised?: (err: Error) => void; log?: (msg: string) => void } = {}): Promise<DataDirLock> {
  const p = paths(dir);
  const owner = existsSync(p.lock) ? readOwner(p.owner) : undefined;
  const refuse = (o: Owner | undefined) =>
    new StartupError(
      `the embedded database ${dir} is in use by another Chehra process${o ? ` (pid ${o.pid} on ${o.host}, since ${o.since})` : ''}`,
      'stop that process first, or give this one its own DATA_DIR (one process per embedded database; for several processes use a PostgreSQL server via DATABASE_URL)',
    );
  // A fresh lock whose owner runs here: refuse now. Anything else (owner gone, pid reused, another
  // host sharing the volume) is settled by the lock's mtime, which only a live owner keeps moving.
  if (owner && ownerRuns(owner) && lockAgeMs(p.lock) < STALE_MS) throw refuse(owner);
  // The lock is there but its owner is gone: wait until it is stale rather than break a live lock.
  const waitMs = existsSync(p.lock) ? STALE_MS + UPDATE_MS : 0;
  if (waitMs) opts.log?.(`the embedded database ${dir} was not closed cleanly (lock left by ${owner ? `pid ${owner.pid}` : 'an unknown process'}); waiting up to ${Math.round(waitMs / 1000)} s for it to go stale`);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: p.lock,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: waitMs ? { retries: Math.ceil(waitMs / 1000), factor: 1, minTimeout: 1000, maxTimeout: 1000 } : 0,
      onCompromised: (err) => (opts.onCompromised ?? defaultCompromised(dir))(err),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw refuse(readOwner(p.owner));
    throw err;
  }
  writeFileSync(p.owner, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Owner) + '\n');
  return {
    async release() {
      rmSync(p.owner, { force: true });
      await release();
    },
  };
}

/** A lost lock means another process may now write the same pages: stop before we do. */
const defaultCompromised = (dir: string) => (err: Error) => {
  process.stderr.write(`chehra: lost the lock on the embedded database ${dir} (${err.message}); stopping so that two processes never write it\n`);
  process.exit(70);
};
