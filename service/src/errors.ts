/**
 * Every 4xx leaves as {code, message}: code for programs, message for people.
 * Messages never carry request contents (embeddings, OTPs, envelopes).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra machine-readable fields for the body, e.g. the fallback options. */
    readonly extra: Record<string, unknown> = {},
    /** Response headers that belong to this answer, e.g. retry-after. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) => new ApiError(409, code, message, extra);
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
