import { machineInfo } from './machine.js';

/** machineInfo() in the shape accuracy.json and sdk.json have always carried (report.ts reads it). */
export function runInfo() {
  const m = machineInfo();
  return {
    date: m.date,
    node: m.node,
    machine: { platform: m.platform, cpu: m.cpuModel, logicalCores: m.cores, memoryGiB: m.memoryGiB, loadAverage1m: m.loadAverage1m },
    git: { commit: m.git.commit ?? 'unknown', dirtyTrackedFiles: m.git.dirty ?? false },
  };
}
