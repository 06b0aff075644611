/**
 * SQS consumer of the delayed hold-release messages. Each record is handled on its own
 * (Powertools batch): a bad record fails alone and, after maxReceiveCount, lands in
 * the dead-letter queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { handleReleaseMessage } from '../../lib/booking/release-consumer';
import { jobHandler } from '../../lib/jobs/handler';

const processor = new BatchProcessor(EventType.SQS);

export const handler = jobHandler('releaseHold', async (event: SQSEvent, { app, context }) =>
  processPartialResponse(event, (record: SQSRecord) => handleReleaseMessage(app, record.body), processor, { context }),
);
