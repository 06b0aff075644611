/**
 * The one middy stack of the job handlers (schedules, the SQS consumer): logs with the
 * Lambda request id, metrics flushed after each invocation, a failure logged and
 * counted once (and rethrown, so Lambda's retry and the SQS redrive see it). The job
 * gets the container's app (lib/app.ts), like the HTTP handlers.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { readyApp, type App } from '../app';
import { count, flushMetrics, logger } from '../observability';

export function jobHandler<E, R>(name: string, fn: (event: E, job: { app: App; context: Context }) => Promise<R>) {
  return middy<E, R, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use({
      onError: async (request) => {
        count('JobFailures');
        logger.error('job.failed', { job: name, error: request.error as Error });
      },
    })
    .handler(async (event, context) => fn(event, { app: await readyApp(), context }));
}
