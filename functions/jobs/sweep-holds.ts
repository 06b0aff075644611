/**
 * Scheduled safety net (every minute): frees seats whose hold expired more than
 * SWEEP_GRACE_SECONDS ago but whose release message never came (send failed, lost).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sweepExpiredHolds } from '../../lib/booking/holds';
import { config } from '../../lib/config';
import { flushMetrics, logger } from '../../lib/observability';

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .handler(async () => sweepExpiredHolds(Date.now(), config.SWEEP_GRACE_SECONDS * 1000));
