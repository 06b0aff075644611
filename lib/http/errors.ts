/**
 * The one place where errors become HTTP responses:
 * `{"error": {"code": "...", "message": "...", "details"?: {...}}}`.
 */
import { AppError, DependencyUnavailableError, TooManyRequestsError } from '../errors';

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; details?: Record<string, unknown> } };
}

interface MiddyHttpError {
  statusCode?: number;
  expose?: boolean;
  message?: string;
  cause?: { package?: string };
}

export function toErrorReply(err: unknown): ErrorReply {
  const headers: Record<string, string> = {};
  if (err instanceof AppError) {
    if (err instanceof DependencyUnavailableError) headers['retry-after'] = '1';
    if (err instanceof TooManyRequestsError) headers['retry-after'] = String(err.retryAfterSeconds);
    return { status: err.status, headers, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  const e = err as MiddyHttpError & { name?: string };
  if (e?.cause?.package === '@middy/core' && e.name === 'TimeoutError') {
    // The function ran out of time. Whatever it did was atomic: a retry with the same
    // Idempotency-Key either finds the result or does the work once.
    return {
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'TIMEOUT', message: 'The request took too long; retry it (with the same Idempotency-Key for a charge or payment).' } },
    };
  }
  if (e?.cause?.package === '@middy/http-json-body-parser') {
    return { status: 400, headers, body: { error: { code: 'INVALID_JSON', message: 'The request body must be a JSON document.' } } };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.expose) {
    return { status: e.statusCode, headers, body: { error: { code: 'BAD_REQUEST', message: e.message ?? 'Bad request' } } };
  }
  return { status: 500, headers, body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side; it has been logged.' } } };
}
