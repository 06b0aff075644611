/**
 * Entering a concert's waiting room. The catalog decides whether the queue is open
 * (the pre-queue window or the sale; 409 SALES_NOT_OPEN / SALES_CLOSED / SOLD_OUT
 * otherwise) and hands the waiting room the schedule and the lottery's seed; the waiting
 * room itself knows no concerts.
 */
import type { App } from '../app';
import { saleNotOn, totalSeatsOf } from '../booking/catalog';
import { preQueueOpensAt, queueIsOpen, queueSchedule, saleStatus } from '../booking/sale';
import { ConflictError } from '../errors';
import { logger } from '../observability';

export async function enterQueue(app: Pick<App, 'catalog' | 'waitingRoom'>, userId: string, concertId: string, now = Date.now()) {
  const { concert, seedHex } = await app.catalog.saleOf(concertId);
  if (!queueIsOpen(concert, now)) {
    const status = saleStatus(concert, now);
    if (status === 'SCHEDULED') {
      const preQueueAt = new Date(preQueueOpensAt(concert)).toISOString();
      throw new ConflictError('SALES_NOT_OPEN', `The sale opens at ${concert.salesOpenAt}; the queue opens at ${preQueueAt}.`, {
        opensAt: concert.salesOpenAt,
        preQueueOpensAt: preQueueAt,
      });
    }
    throw saleNotOn(concert, status);
  }
  const { created, ...ticket } = await app.waitingRoom.enter(concertId, userId, { ...queueSchedule(concert, totalSeatsOf(concert)), seedHex });
  // An entry writes nothing to the log at the default level: at an opening that is one
  // line per arrival (a million for a million users), and the INFO line and the EMF
  // metric line each cost about a tenth of an entry's CPU (bench phase 1). The admission
  // runs count the QueueEntered metric for all the entries since their last run
  // (tick.lua); LOG_LEVEL=DEBUG brings this line back.
  if (created) {
    logger.debug('queue.entered', { concertId, status: ticket.status, position: ticket.position });
  }
  return { created, ticket };
}
