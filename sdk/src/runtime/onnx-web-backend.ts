import * as ort from 'onnxruntime-web/wasm';
import type { InferenceBackend, InferenceSession, SessionOptions } from './inference.js';
import { OrtSessionAdapter, type OrtTensorClass } from './ort-session.js';

export interface OnnxWebOptions {
  /** Where ort-wasm-simd-threaded.{mjs,wasm} are served (same origin, no CDN). E.g. '/app/ort/'. */
  wasmBase: string;
  /**
   * WASM threads. Default when the page is cross-origin isolated (SharedArrayBuffer exists only
   * then): one core fewer than the device has, at most 4 — the page's own thread needs a core for
   * the camera and the UI. Not isolated: 1. ort's own default, ceil(cores / 2), is no better
   * founded. Measured on a shared 2-core machine (load average ~4), two browsers interleaved
   * image by image on 20 lfw-dev images: 1 thread 104 ms, 2 threads 178 ms per image (with
   * ort's proxy worker: 151 vs 297) — a thread pool's workers wait for a core that is busy. On the
   * same machine quiet (load ~1, `npm run bench:browser`), 2 threads paid: 66.6 → 44.2 ms on the
   * same 20 images, 1.26× Node's time over 150 images against 1.99× at 1 thread. A phone with 4–8
   * cores gets 3–4 threads by this rule; a 2-core one keeps 1.
   */
  threads?: number;
}

/** Threads the WASM backend will use on this page. */
export function webThreads(requested?: number): number {
  const isolated = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated;
  if (!isolated) return 1;
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(requested ?? Math.min(4, cores - 1), cores));
}

/**
 * onnxruntime-web, WASM execution provider (SIMD; threads when cross-origin isolated). The
 * WASM settings are global to ort, so they are set once, by the first backend made on the page.
 * Per-session `threads` cannot differ on the web: one pool serves every session.
 */
export function createOnnxWebBackend(options: OnnxWebOptions): InferenceBackend {
  const threads = webThreads(options.threads);
  ort.env.wasm.wasmPaths = options.wasmBase;
  ort.env.wasm.numThreads = threads;
  // No proxy worker: the pipeline already awaits every run; a proxy would copy every tensor.
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return {
    name: `onnxruntime-web/wasm (${threads} thread${threads > 1 ? 's' : ''})`,
    async createSession(model: Uint8Array, _options: SessionOptions = {}): Promise<InferenceSession> {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        enableCpuMemArena: true,
      });
      return new OrtSessionAdapter(session, ort.Tensor as OrtTensorClass);
    },
  };
}
