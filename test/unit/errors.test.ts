import { ConflictError, DependencyUnavailableError } from '../../lib/errors';
import { toErrorReply } from '../../lib/http/errors';
import { isAwsUnavailable, isRedisUnavailable, toDependencyError } from '../../lib/clients/dependency-errors';

describe('error replies', () => {
  it('maps domain errors to their status with code, message and details', () => {
    expect(toErrorReply(new ConflictError('SEAT_UNAVAILABLE', 'taken', { seatNo: 3 }))).toEqual({
      status: 409,
      headers: {},
      body: { error: { code: 'SEAT_UNAVAILABLE', message: 'taken', details: { seatNo: 3 } } },
    });
  });
  it('maps dependency outages to 503 with Retry-After', () => {
    const reply = toErrorReply(new DependencyUnavailableError('redis'));
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('1');
    expect(reply.body.error.code).toBe('REDIS_UNAVAILABLE');
  });
  it('gives refusals (4xx) no stack, keeps it for server-side failures, and leaves the stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const refusal = new ConflictError('SEAT_UNAVAILABLE', 'taken');
    expect(refusal.stack).toBe('ConflictError: taken');
    expect(refusal).toBeInstanceOf(Error);
    expect(new DependencyUnavailableError('redis').stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });
  it('never leaks internals of unexpected errors', () => {
    const reply = toErrorReply(new TypeError('secret detail at /var/task/index.js'));
    expect(reply.status).toBe(500);
    expect(JSON.stringify(reply.body)).not.toContain('secret');
  });
});

describe('dependency outage detection', () => {
  it('recognises network failures, timeouts, throttling and 5xx from AWS', () => {
    expect(isAwsUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isAwsUnavailable(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'))).toBe(true);
    expect(isAwsUnavailable(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true);
    expect(isAwsUnavailable(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } }))).toBe(true);
  });
  it('leaves answers the domain must interpret alone', () => {
    const cancelled = Object.assign(new Error('x'), { name: 'TransactionCanceledException', $metadata: { httpStatusCode: 400 } });
    expect(isAwsUnavailable(cancelled)).toBe(false);
    expect(toDependencyError('dynamodb', cancelled)).toBe(cancelled);
  });
  it('treats Redis "try later" replies and lost connections as outages, script errors as bugs', () => {
    expect(isRedisUnavailable(Object.assign(new Error('LOADING Redis is loading'), { name: 'ReplyError' }))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('ERR user_script:1: oops'), { name: 'ReplyError' }))).toBe(false);
    expect(isRedisUnavailable(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
  });
});
