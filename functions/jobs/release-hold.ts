/**
 * SQS consumer of the delayed hold-release messages. Each record is handled on its own
 * (Powertools batch): a bad record fails alone and, after maxReceiveCount, lands in
 * the dead-letter queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { handleReleaseMessage } from '../../lib/booking/release-consumer';
import { flushMetrics, logger } from '../../lib/observability';

const processor = new BatchProcessor(EventType.SQS);

const recordHandler = (record: SQSRecord) => handleReleaseMessage(record.body);

export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics())
  .handler(async (event: SQSEvent, context: Context) => processPartialResponse(event, recordHandler, processor, { context }));
