/**
 * Smoke test of the @vladmandic/human comparison baseline (benchmarks/lib/human-pipeline.ts).
 *
 *   npx tsx benchmarks/human-smoke.ts [pairsPerClass=5] [repeats=3]
 *
 * Takes `pairsPerClass` same-person and `pairsPerClass` different-person pairs from the
 * LFW dev split (spread over the file, deterministic), i.e. ~20 distinct images with the
 * default, then for threads = 1 and 2:
 *   - 3 warm-up calls (not timed), then every image `repeats` times; prints the median,
 *     mean and p90 wall-clock ms of `process()` (decode + detect + embed) per image;
 *   - threads = 2 is reported as n/a when the pipeline refuses it (wasm backend in Node
 *     is single-threaded; see the header of human-pipeline.ts).
 * Sanity check: mean cosine of same-person pairs must exceed that of different-person
 * pairs; exits non-zero otherwise.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHumanPipeline } from './lib/human-pipeline.ts';
import { datasetsRoot } from '../testkit/datasets.js';
import { percentile } from '../testkit/stats.js';

const DATASET = path.join(datasetsRoot(), 'lfw-dev');
const IMAGES = path.join(DATASET, 'images');
const WARMUP = 3;

interface Pair {
  a: string;
  b: string;
  same: boolean;
}

function parseArg(i: number, fallback: number): number {
  const raw = process.argv[2 + i];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad argument ${raw}`);
  return n;
}

async function loadPairs(): Promise<Pair[]> {
  const lines = (await readFile(path.join(DATASET, 'pairs.csv'), 'utf8')).trim().split(/\r?\n/);
  const header = lines.shift()?.split(',') ?? [];
  const ia = header.indexOf('a');
  const ib = header.indexOf('b');
  const isame = header.indexOf('same');
  if (ia < 0 || ib < 0 || isame < 0) throw new Error(`unexpected pairs.csv header: ${header.join(',')}`);
  return lines.map((line) => {
    const cols = line.split(',');
    return { a: cols[ia] ?? '', b: cols[ib] ?? '', same: cols[isame] === '1' };
  });
}

/** `n` items spread evenly over `items` (deterministic). */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const item = items[Math.floor((i * items.length) / n)];
    if (item !== undefined) out.push(item);
  }
  return out;
}

function cosine(x: Float32Array, y: Float32Array): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    dot += a * b;
    nx += a * a;
    ny += b * b;
  }
  return dot / Math.sqrt(nx * ny);
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const fmt = (x: number): string => x.toFixed(1);

async function main(): Promise<void> {
  const perClass = parseArg(0, 5);
  const repeats = parseArg(1, 3);
  const all = await loadPairs();
  const pairs = [...spread(all.filter((p) => p.same), perClass), ...spread(all.filter((p) => !p.same), perClass)];
  const names = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const jpegs = new Map<string, Uint8Array>();
  for (const name of names) jpegs.set(name, new Uint8Array(await readFile(path.join(IMAGES, name))));
  console.log(`human smoke: ${pairs.length} pairs (${perClass} same, ${perClass} different), ${names.length} images, ${repeats} timed runs each after ${WARMUP} warm-up`);

  let embeddings: Map<string, Float32Array | null> | null = null;
  let faceCounts: number[] = [];

  for (const threads of [1, 2]) {
    let pipeline: Awaited<ReturnType<typeof createHumanPipeline>>;
    try {
      pipeline = await createHumanPipeline({ threads });
    } catch (err) {
      console.log(`threads=${threads}: n/a — ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const first = jpegs.get(names[0]!)!;
    for (let i = 0; i < WARMUP; i++) await pipeline.process(first);

    const times: number[] = [];
    const embs = new Map<string, Float32Array | null>();
    const counts: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const name of names) {
        const jpeg = jpegs.get(name)!;
        const t0 = performance.now();
        const out = await pipeline.process(jpeg);
        times.push(performance.now() - t0);
        if (r === 0) {
          embs.set(name, out.embedding);
          counts.push(out.faces);
        }
      }
    }
    await pipeline.close();
    times.sort((a, b) => a - b);
    console.log(
      `threads=${threads}: ${pipeline.name} ${pipeline.version} on ${pipeline.backend}: ` +
        `median ${fmt(percentile(times, 50))} ms/image, mean ${fmt(mean(times))}, p90 ${fmt(percentile(times, 90))}, ` +
        `min ${fmt(times[0]!)}, max ${fmt(times[times.length - 1]!)} (n=${times.length})`,
    );
    embeddings ??= embs;
    faceCounts = faceCounts.length ? faceCounts : counts;
  }

  if (!embeddings) throw new Error('no pipeline could be created');
  const noFace = names.filter((n) => !embeddings!.get(n));
  const dims = [...embeddings.values()].find((e) => e)?.length ?? 0;
  console.log(`embeddings: ${dims}-d; faces per image ${JSON.stringify(faceCounts)}; no face in ${noFace.length}/${names.length}${noFace.length ? ` (${noFace.join(', ')})` : ''}`);

  const same: number[] = [];
  const diff: number[] = [];
  for (const p of pairs) {
    const ea = embeddings.get(p.a);
    const eb = embeddings.get(p.b);
    if (!ea || !eb) continue;
    (p.same ? same : diff).push(cosine(ea, eb));
  }
  const ms = mean(same);
  const md = mean(diff);
  console.log(`cosine same-person: mean ${ms.toFixed(3)} over ${same.length} pairs [${same.map((x) => x.toFixed(2)).join(' ')}]`);
  console.log(`cosine diff-person: mean ${md.toFixed(3)} over ${diff.length} pairs [${diff.map((x) => x.toFixed(2)).join(' ')}]`);
  const ok = same.length > 0 && diff.length > 0 && ms > md;
  console.log(ok ? 'sanity: PASS (same-person pairs are more similar on average)' : 'sanity: FAIL');
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
