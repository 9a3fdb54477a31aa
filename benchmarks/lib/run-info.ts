import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';

/** Where and when a benchmark ran, so a figure can be traced to its code and machine. */
export function runInfo() {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    machine: { platform: `${platform()} ${release()}`, cpu: cpu[0]?.model ?? 'unknown', logicalCores: cpu.length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2) },
    git: { commit, dirtyTrackedFiles: dirty },
  };
}
