/**
 * Silences the service's warning and error logs in a test file that provokes failures
 * on purpose (outages). Powertools resets its level at every invocation, so the log
 * calls themselves are stubbed; nothing else is.
 */
import { logger } from '../../lib/observability';

export function quietLogs(): void {
  beforeAll(() => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());
}
