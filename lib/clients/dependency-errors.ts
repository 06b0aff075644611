/**
 * Tells a dependency outage (network error, timeout, throttling, 5xx) apart from an
 * answer the domain must interpret (a failed condition, a cancelled transaction).
 * Clients wrap the first kind in DependencyUnavailableError so every handler answers
 * 503 with a clear code without knowing which client failed.
 */
import { DependencyUnavailableError, type Dependency } from '../errors';

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
]);

const AWS_UNAVAILABLE_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ThrottlingException',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalServerError',
  'ServiceUnavailable', 'ServiceUnavailableException', 'LimitExceededException', 'NetworkingError',
  'TransactionInProgressException', 'AbortError',
]);

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

// The SDK sometimes re-wraps a socket error as "AWS SDK error wrapper for Error: connect
// ECONNREFUSED ..." without its code, so the message is checked too.
const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_CODES].join('|')})\\b|socket hang up`);

function isNetworkError(err: ErrorLike | undefined, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  if (err.code && NETWORK_CODES.has(err.code)) return true;
  if (NETWORK_MESSAGE.test(err.message ?? '')) return true;
  return isNetworkError(err.cause as ErrorLike | undefined, depth + 1);
}

export function isAwsUnavailable(err: unknown): boolean {
  const e = err as ErrorLike;
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DependencyUnavailableError) return true;
  if (e.name && AWS_UNAVAILABLE_NAMES.has(e.name)) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return isNetworkError(e);
}

const REDIS_UNAVAILABLE_REPLIES = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|OOM|NOREPLICAS)\b/;

export function isRedisUnavailable(err: unknown): boolean {
  const e = err as ErrorLike;
  if (!e || typeof e !== 'object') return false;
  // A ReplyError is Redis answering; only the "try later" replies mean unavailability.
  if (e.name === 'ReplyError') return REDIS_UNAVAILABLE_REPLIES.test(e.message ?? '');
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    /Command timed out|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|ClusterAllFailedError|None of startup nodes is available/.test(
      e.message ?? '',
    ) ||
    isNetworkError(e)
  );
}

/** Rethrows `err` as DependencyUnavailableError when it is an outage of `dependency`. */
export function toDependencyError(dependency: Dependency, err: unknown): unknown {
  if (err instanceof DependencyUnavailableError) return err;
  const unavailable = dependency === 'redis' ? isRedisUnavailable(err) : isAwsUnavailable(err);
  return unavailable ? new DependencyUnavailableError(dependency, err) : err;
}

/**
 * `work`, or DependencyUnavailableError(dependency) when it has no answer within `ms`.
 * ioredis queues commands while it reconnects (a Cluster without a reachable node does so
 * without limit): a call with no answer in time is an outage, answered as one. A late
 * answer is ignored (the deadline has subscribed to it, so a late rejection is handled too).
 */
export function withDeadline<T>(dependency: Dependency, work: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer per call (not an async function around Promise.race):
  // every poll goes through here.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DependencyUnavailableError(dependency)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
