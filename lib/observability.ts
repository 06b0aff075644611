/**
 * Powertools logger and metrics, created once per container and shared by every
 * module. Log lines are structured JSON with the Lambda request id (attached by the
 * HTTP stack and the jobs); metrics are CloudWatch EMF, flushed after each invocation.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'concert-ticketing';

export const logger = new Logger({ serviceName });

/** Every metric carries the stage, so stages sharing an account have their own alarms (infra/monitoring.js). */
export const metrics = new Metrics({ namespace: 'ConcertTicketing', serviceName, defaultDimensions: { stage: process.env.STAGE ?? 'local' } });

export { MetricUnit };

/** Counts one occurrence of a business event (hold placed, payment failed, ...). */
export function count(name: string, value = 1): void {
  recorded = true;
  metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Whether count() ran since the last publishRecordedMetrics(). Most requests record
 * nothing, and asking Powertools whether it holds metrics costs each of them reads of the
 * environment (every store access checks AWS_LAMBDA_MAX_CONCURRENCY). The flag is the
 * container's, which is right while a container runs one invocation at a time (every
 * function here); with AWS_LAMBDA_MAX_CONCURRENCY set, Powertools keeps each concurrent
 * invocation's metrics apart and a flush always asks it.
 */
let recorded = false;
const concurrentInvocations = (process.env.AWS_LAMBDA_MAX_CONCURRENCY ?? '') !== '';

/** Writes the metrics recorded since the last call as one EMF line; nothing when there were none. */
export function publishRecordedMetrics(): void {
  if (!recorded && !concurrentInvocations) return;
  recorded = false;
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * Middy middleware that flushes the metrics an invocation recorded. Unlike Powertools'
 * logMetrics it stays silent when there were none (most reads record none), instead
 * of logging a warning on every such invocation.
 */
export function flushMetrics() {
  const flush = async () => publishRecordedMetrics();
  return { after: flush, onError: flush };
}
