// Where the datasets are, for the tests, the benchmarks, the demo and `npm test`'s pretest check:
// one answer. Plain JavaScript (types in datasets.d.ts) so that scripts/ensure-test-deps.mjs,
// which runs on plain node before the tests, reads the same rule as the TypeScript that imports it.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * $CHEHRA_DATASETS, else ../shared/datasets next to the repository (DESIGN.md, "Data for tests
 * and benchmarks"). A relative CHEHRA_DATASETS is taken from the repository root, not from the
 * working directory, so a test or a benchmark finds the same folder wherever it is started.
 * @returns {string}
 */
export function datasetsRoot() {
  return resolve(REPO_ROOT, process.env.CHEHRA_DATASETS ?? '../shared/datasets');
}
