import { constants, mkdirSync, promises as fsp, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthProblem } from '@chehra/contract';
import { StartupError } from './startup-error.js';

/** The directories the service writes, named as the operator knows them (the setting that moves them). */
export interface WritableDir {
  path: string;
  setting: 'DATA_DIR' | 'KEYS_DIR';
}

/** What an errno means for a directory we must write, and what the operator does about it. */
function explain(err: NodeJS.ErrnoException, dir: WritableDir): StartupError {
  const uid = typeof process.getuid === 'function' ? ` (user id ${process.getuid()})` : '';
  switch (err.code) {
    case 'EROFS':
      return new StartupError(`${dir.setting} ${dir.path} is on a read-only file system`, `mount a writable volume there, or set ${dir.setting} to a writable directory`);
    case 'EACCES':
    case 'EPERM':
      return new StartupError(`${dir.setting} ${dir.path} is not writable by this process${uid}`, `give that user the directory (chown/chmod), or set ${dir.setting} to a directory it owns`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new StartupError(`the disk holding ${dir.setting} ${dir.path} is full`, 'free some space (or grow the volume) and start again');
    case 'ENOTDIR':
    case 'EEXIST':
      return new StartupError(`${dir.setting} ${dir.path} is not a directory (a file is in the way)`, `move that file, or set ${dir.setting} to another path`);
    case 'ENOENT':
      return new StartupError(`${dir.setting} ${dir.path} cannot be created (a parent directory is missing)`, `create it first, or set ${dir.setting} to an existing directory`);
    default:
      return new StartupError(`${dir.setting} ${dir.path} cannot be used (${err.code ?? err.message})`, `check the path, its owner and its disk, or set ${dir.setting} to another directory`);
  }
}

/**
 * Creates the directory if need be and proves it takes a write, before anything else touches it:
 * a read-only, foreign-owned or full volume is then one sentence at start-up, not a stack from
 * deep inside the key store or the database.
 */
export function prepareWritableDir(dir: WritableDir): void {
  const probe = join(dir.path, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir.path, { recursive: true, mode: 0o700 });
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    throw explain(err as NodeJS.ErrnoException, dir);
  }
}

export type StorageProblem = HealthProblem & { code: Exclude<HealthProblem['code'], 'database_unavailable'> };

/**
 * Readiness of the service's storage, for /healthz: is each directory there, writable, and does
 * its disk have room? Messages name the setting, not the path (the health check is public).
 */
export async function storageProblems(dirs: WritableDir[], minFreeBytes: number): Promise<StorageProblem[]> {
  const problems: StorageProblem[] = [];
  for (const dir of dirs) {
    try {
      await fsp.access(dir.path, constants.W_OK);
      const fs = await fsp.statfs(dir.path);
      const free = fs.bavail * fs.bsize;
      if (free < minFreeBytes) {
        problems.push({ code: 'disk_full', message: `the disk holding ${dir.setting} has ${mb(free)} free, below the ${mb(minFreeBytes)} the service needs to write safely` });
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') problems.push({ code: 'storage_missing', message: `${dir.setting} is gone (was it unmounted or deleted?)` });
      else if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') problems.push({ code: 'storage_read_only', message: `${dir.setting} is not writable (${code === 'EROFS' ? 'read-only file system' : 'permission denied'})` });
      else problems.push({ code: 'storage_unavailable', message: `${dir.setting} cannot be checked (${code ?? 'unknown error'})` });
    }
  }
  return problems;
}

const mb = (bytes: number) => `${Math.floor(bytes / 1024 / 1024)} MB`;
