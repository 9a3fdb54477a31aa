import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { datasetsRoot } from '../../testkit/datasets.js';

export interface Pair {
  fold: number;
  a: string;
  b: string;
  same: boolean;
}

export interface PairDataset {
  root: string;
  pairs: Pair[];
  /** Every image the pairs mention, once, in first-mention order. */
  images: string[];
}

/** A dataset named on the command line (from the working directory), else `fallback` in the datasets folder. */
export function resolveDataset(arg: string | undefined, fallback: string): string {
  return arg ? resolve(process.cwd(), arg) : join(datasetsRoot(), fallback);
}

/** Reads `pairs.csv` (header `fold,a,b,same`; paths relative to `images/`). */
export async function loadPairDataset(root: string): Promise<PairDataset> {
  const text = await readFile(join(root, 'pairs.csv'), 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift()?.split(',').map((h) => h.trim());
  if (header?.join(',') !== 'fold,a,b,same') throw new Error(`${root}/pairs.csv must start with the header fold,a,b,same`);
  const pairs = lines.map((line, i) => {
    const [fold, a, b, same] = line.split(',').map((c) => c.trim());
    if (!fold || !a || !b || (same !== '0' && same !== '1')) throw new Error(`pairs.csv line ${i + 2} is malformed`);
    return { fold: Number(fold), a, b, same: same === '1' };
  });
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  return { root, pairs, images };
}

export const imagePath = (ds: PairDataset, rel: string) => join(ds.root, 'images', rel);

/** LFW names images <Person>/<Person>_NNNN.jpg: the folder is the identity. */
export const identityOf = (rel: string) => rel.split('/')[0] ?? rel;
