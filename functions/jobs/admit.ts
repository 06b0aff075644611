/**
 * Scheduled admission (EventBridge, every minute). EventBridge cannot fire more often,
 * so one invocation loops for about a minute, running one admission pass per concert
 * every ADMISSION_TICK_MS. Admission also happens immediately inside the queue scripts
 * whenever a slot frees (leave, payment) and on polls, so this loop is what ends expired
 * sessions and drops abandoned waiters when nobody else is looking.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { runAdmissionLoop } from '../../lib/queue/admission-loop';
import { logger } from '../../lib/observability';

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event: unknown, context: Context) => runAdmissionLoop(() => context.getRemainingTimeInMillis()));
