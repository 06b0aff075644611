/**
 * A concert's sale window and lifecycle, as pure functions of its catalog item and the
 * time (unit-tested without DynamoDB):
 *
 *   SCHEDULED  before salesOpenAt; from salesOpenAt - preQueueMinutes people can join
 *              the pre-queue (the lottery at the opening decides their order)
 *   ON_SALE    from salesOpenAt
 *   SOLD_OUT   every seat of every date is RESERVED (soldOutAt set; final)
 *   CLOSED     from salesCloseAt (an operator may move it to now: closing early; final)
 *
 * Moving salesOpenAt / salesCloseAt is allowed only while SCHEDULED; closing early while
 * SCHEDULED or ON_SALE. The waiting room keeps its own copy of the schedule (versioned)
 * for the one-round-trip poll; the catalog item is the source.
 */
import type { QueueSchedule } from '../queue/waiting-room';

export type SaleStatus = 'SCHEDULED' | 'ON_SALE' | 'SOLD_OUT' | 'CLOSED';

export interface SaleWindow {
  salesOpenAt: string;
  salesCloseAt?: string;
  preQueueMinutes: number;
  soldOutAt?: string;
  scheduleVersion: number;
}

export function saleStatus(w: SaleWindow, now = Date.now()): SaleStatus {
  if (w.soldOutAt) return 'SOLD_OUT';
  if (w.salesCloseAt && now >= Date.parse(w.salesCloseAt)) return 'CLOSED';
  if (now < Date.parse(w.salesOpenAt)) return 'SCHEDULED';
  return 'ON_SALE';
}

export const preQueueOpensAt = (w: SaleWindow): number => Date.parse(w.salesOpenAt) - w.preQueueMinutes * 60_000;

/** Whether people can join the queue now: the pre-queue window or the sale. */
export function queueIsOpen(w: SaleWindow, now = Date.now()): boolean {
  const s = saleStatus(w, now);
  return s === 'ON_SALE' || (s === 'SCHEDULED' && now >= preQueueOpensAt(w));
}

/** The admission loop visits a concert from its pre-queue on, and for a while after the end (to let the queue's keys expire). */
export function queueIsLive(w: SaleWindow, now = Date.now(), afterEndMs = 120_000): boolean {
  if (queueIsOpen(w, now)) return true;
  const end = w.soldOutAt ? Date.parse(w.soldOutAt) : w.salesCloseAt ? Date.parse(w.salesCloseAt) : undefined;
  return end !== undefined && now >= end && now - end < afterEndMs;
}

export function queueSchedule(w: SaleWindow, totalSeats: number): QueueSchedule {
  return {
    opensAtMs: Date.parse(w.salesOpenAt),
    closesAtMs: w.salesCloseAt ? Date.parse(w.salesCloseAt) : 0,
    version: w.scheduleVersion,
    totalSeats,
  };
}
