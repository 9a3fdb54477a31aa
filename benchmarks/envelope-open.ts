/**
 * How fast can the service open a sealed envelope? Three byte-compatible routes to the same
 * nacl.box plaintext, timed side by side on the same envelopes in one run:
 *
 *   (a) tweetnacl           nacl.box.open (pure JS X25519 + XSalsa20-Poly1305): the SDK's reference opener
 *   (b) node X25519 + nacl  node:crypto diffieHellman (OpenSSL X25519; the ephemeral public key imported
 *                           from a JWK) → tweetnacl crypto_core_hsalsa20 (= crypto_box_beforenm) → nacl.secretbox.open
 *   (c) sodium-native       crypto_box_open_easy (libsodium), what service/src/keys/open-envelope.ts uses
 *
 * plus, for context, (d) the service's whole openSealedEnvelope (base64 parse + (c) + payload JSON decode).
 * Every route must give byte-identical plaintexts, equal to what was sealed.
 *
 *   npm run bench:envelope [-- --envelopes 400 --rounds 5]
 * Writes benchmarks/results/envelope-open.json.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import nacl from 'tweetnacl';
import sodium from 'sodium-native';
import { encodePayload, newRequestNonce, parseEnvelope, sealEnvelope, type ParsedEnvelope } from '@chehra/sdk/envelope';
import { Keyring } from '../service/src/keys/keyring.js';
import { openSealedEnvelope } from '../service/src/keys/open-envelope.js';
import { machineInfo } from './lib/machine.js';
import { median, percentile, round } from '../testkit/stats.js';
import { mulberry32 } from '../testkit/prng.js';

const { values: args } = parseArgs({
  options: {
    envelopes: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '5' },
    dim: { type: 'string', default: '512' },
  },
});
const ENVELOPES = Number(args.envelopes);
const ROUNDS = Number(args.rounds);
const DIM = Number(args.dim);

// tweetnacl ships crypto_core_hsalsa20 in `lowlevel` but its typings leave it out.
const lowlevel = (nacl as unknown as { lowlevel: { crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number } }).lowlevel;
const SIGMA = new TextEncoder().encode('expand 32-byte k');
const ZERO16 = new Uint8Array(16);
const b64url = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

// ---- the service's key and a batch of envelopes sealed by the SDK's own sealEnvelope ----
const keyring = Keyring.inMemory(3600_000);
const { kid, publicKey, secretKey } = keyring.current;
const now = Date.now();
const rand = mulberry32(12345);
const expected: Uint8Array[] = [];
const raw: unknown[] = [];
const parsed: ParsedEnvelope[] = [];
for (let i = 0; i < ENVELOPES; i++) {
  const v = new Float32Array(DIM).map(() => rand() - 0.5);
  const n = Math.hypot(...v);
  const payload = { embedding: v.map((x) => x / n), modelId: 'bench/embedder@1', quality: 0.9, liveness: 0.99, capturedAt: now, requestNonce: newRequestNonce(), worker: 'worker-1' };
  expected.push(encodePayload(payload));
  const sealed = sealEnvelope(payload, { kid, publicKey });
  raw.push(JSON.parse(JSON.stringify(sealed)));
  parsed.push(parseEnvelope(sealed));
}

// ---- the openers: each takes a parsed envelope and returns the plaintext bytes ----
const nodePrivateKey: KeyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(secretKey), x: b64url(publicKey) }, format: 'jwk' });
const secretKeyBuf = Buffer.from(secretKey);

type Opener = (e: ParsedEnvelope, i: number) => Uint8Array;
const openers: Record<string, Opener> = {
  tweetnacl: (e) => {
    const out = nacl.box.open(e.ct, e.nonce, e.epk, secretKey);
    if (!out) throw new Error('tweetnacl could not open');
    return out;
  },
  'node-x25519+tweetnacl': (e) => {
    // JWK import is far cheaper than DER/SPKI for a raw 32-byte key.
    const epk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(e.epk) }, format: 'jwk' });
    const shared = diffieHellman({ privateKey: nodePrivateKey, publicKey: epk });
    const k = new Uint8Array(32);
    lowlevel.crypto_core_hsalsa20(k, ZERO16, shared, SIGMA);
    shared.fill(0);
    const out = nacl.secretbox.open(e.ct, e.nonce, k);
    k.fill(0);
    if (!out) throw new Error('node route could not open');
    return out;
  },
  'sodium-native': (e) => {
    const out = Buffer.alloc(e.ct.length - sodium.crypto_box_MACBYTES);
    if (!sodium.crypto_box_open_easy(out, buf(e.ct), buf(e.nonce), buf(e.epk), secretKeyBuf)) throw new Error('sodium could not open');
    return out;
  },
};
// (d) the service's opener on the raw JSON envelope: base64 decode, open, payload decode.
const serviceOpen = (i: number) => openSealedEnvelope(raw[i], keyring, new Date(now));

// ---- correctness first: byte-identical to what was sealed, for every envelope and route ----
for (const [name, open] of Object.entries(openers)) {
  for (let i = 0; i < ENVELOPES; i++) {
    if (!Buffer.from(open(parsed[i]!, i)).equals(Buffer.from(expected[i]!))) throw new Error(`${name}: plaintext ${i} differs from what was sealed`);
  }
}
for (let i = 0; i < ENVELOPES; i++) if (serviceOpen(i).requestNonce !== JSON.parse(new TextDecoder().decode(expected[i]!)).requestNonce) throw new Error('service opener disagrees');
// A flipped ciphertext bit must be refused by every route.
const tampered = { ...parsed[0]!, ct: parsed[0]!.ct.slice() };
tampered.ct[40]! ^= 1;
for (const [name, open] of Object.entries(openers)) {
  let refused = false;
  try {
    open(tampered, 0);
  } catch {
    refused = true;
  }
  if (!refused) throw new Error(`${name} opened a tampered envelope`);
}

// ---- timing: every open timed on its own; routes interleaved per round so drift hits all alike ----
const samples: Record<string, number[]> = { ...Object.fromEntries(Object.keys(openers).map((k) => [k, [] as number[]])), 'service openSealedEnvelope': [] };
const timed: [string, (i: number) => unknown][] = [...Object.entries(openers).map(([k, f]) => [k, (i: number) => f(parsed[i]!, i)] as [string, (i: number) => unknown]), ['service openSealedEnvelope', serviceOpen]];
let sink = 0;
for (let round = -1; round < ROUNDS; round++) {
  // round -1 is warm-up (JIT, OpenSSL and libsodium code paths), not recorded
  const order = round % 2 === 0 ? timed : [...timed].reverse();
  for (const [name, f] of order) {
    for (let i = 0; i < ENVELOPES; i++) {
      const t0 = process.hrtime.bigint();
      const r = f(i);
      const t1 = process.hrtime.bigint();
      sink += r instanceof Uint8Array ? r[0]! : 1;
      if (round >= 0) samples[name]!.push(Number(t1 - t0) / 1000);
    }
  }
}
if (sink < 0) console.log(sink);

const base = median(samples.tweetnacl!);
const rows = Object.entries(samples).map(([route, us]) => ({
  route,
  medianUs: round(median(us), 1),
  p95Us: round(percentile(us, 95), 1),
  opensPerSecond: Math.round(1e6 / median(us)),
  speedupVsTweetnacl: round(base / median(us), 1),
}));

const result = {
  benchmark: 'envelope-open',
  payload: { embeddingDim: DIM, plaintextBytes: expected[0]!.length, ciphertextBytes: parsed[0]!.ct.length },
  settings: { envelopes: ENVELOPES, rounds: ROUNDS, samplesPerRoute: ENVELOPES * ROUNDS, warmupRounds: 1 },
  byteIdentical: true,
  tamperRefusedByAll: true,
  routes: rows,
  machine: machineInfo(),
  notes: [
    'Each open is timed individually with process.hrtime.bigint; medians and p95 over all samples, warm-up round excluded.',
    'Routes are interleaved per round (alternating order) so clock/thermal drift and noisy neighbours affect them alike.',
    'node-x25519 route: diffieHellman() output is the raw X25519 shared secret; HSalsa20 of it with a zero nonce is crypto_box_beforenm, so secretbox.open gives nacl.box.open bytes. OpenSSL refuses an all-zero shared secret (low-order epk), where tweetnacl would open with a known key: stricter, not weaker.',
  ],
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/envelope-open.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

console.log(`\nopening ${ENVELOPES} sealed envelopes (${DIM}-d embedding, ${expected[0]!.length} B plaintext) × ${ROUNDS} rounds — all routes byte-identical\n`);
console.table(Object.fromEntries(rows.map((r) => [r.route, { 'median µs': r.medianUs, 'p95 µs': r.p95Us, 'opens/s': r.opensPerSecond, 'vs tweetnacl': `${r.speedupVsTweetnacl}×` }])));
console.log(`${result.machine.cpuModel}, ${result.machine.cores} cores, node ${result.machine.node}, load ${result.machine.loadAverage1m}; wrote benchmarks/results/envelope-open.json`);
