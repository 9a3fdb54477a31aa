// The typed HTTP client: errors, wire types (from @chehra/contract), transport, and the routes.
export { ChehraError, ChehraApiError, type ClientErrorCode } from './client/errors.js';
export { ChehraClient } from './client/client.js';
export type { ChehraClientOptions, CallOptions } from './client/transport.js';
export type * from './client/wire.js';
