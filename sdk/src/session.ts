// The worker's session: memory-only state, sealing, sending, logout.
export { WorkerSession, heldBuffersForTesting } from './session/worker-session.js';
export type { WorkerSessionOptions, SignInOptions, SendOptions, VerifyOptions } from './session/options.js';
export { ChehraSessionError, type SessionErrorCode } from './session/errors.js';
export type { SealableCapture, PendingCapture } from './session/capture.js';
