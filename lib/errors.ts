/**
 * The one error hierarchy of the service. Domain modules throw these; the HTTP layer
 * maps them to responses in one place (lib/http/errors.ts) by `instanceof`, never by
 * name strings. Anything else that escapes a handler is a 500 (or a 503 when it is a
 * dependency failure, see DependencyUnavailableError).
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    // A refusal (4xx) is an answer, not a fault: nothing logs its stack, and capturing one
    // costs 5-10 µs a refusal (V8 walks the frames; more with --enable-source-maps, as
    // deployed), which the 300 losers of a race for one seat would all pay. Errors of 500
    // and above keep their stack for the logs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(400, code, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(401, code, message, details);
  }
}

export class PaymentRequiredError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(402, code, message, details);
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(403, code, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(404, code, message, details);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(409, code, message, details);
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(422, code, message, details);
  }
}

/** Over an abuse limit (lib/limits): 429 with Retry-After (seconds). */
export class TooManyRequestsError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
    details?: Record<string, unknown>,
  ) {
    super(429, code, message, { ...details, retryAfterSeconds });
  }
}

export type Dependency = 'redis' | 'dynamodb' | 'sqs' | 'identity';

/** A backing service did not answer (down, timed out, throttled). Maps to 503. */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: Dependency,
    cause?: unknown,
  ) {
    super(503, `${dependency.toUpperCase()}_UNAVAILABLE`, `The ${dependency} service is unavailable; try again shortly.`);
    this.cause = cause;
  }
}
