/**
 * The sale as operators and the public see it: moving or ending the sale window (the
 * waiting room gets the new schedule at once, versioned so no stale copy can undo it),
 * and the lottery's public record.
 */
import type { App } from '../app';
import { publicConcert, totalSeatsOf, type SaleChange } from '../booking/catalog';
import { queueSchedule } from '../booking/sale';
import { BadRequestError } from '../errors';
import { DRAW_METHOD } from '../queue/lottery';

export async function changeSale(app: Pick<App, 'catalog' | 'waitingRoom'>, concertId: string, change: SaleChange) {
  const concert = await app.catalog.changeSale(concertId, change);
  await app.waitingRoom.schedule(concertId, queueSchedule(concert, totalSeatsOf(concert)));
  return { ...publicConcert(concert), queue: await app.waitingRoom.figures(concertId) };
}

/** When Redis lost the draw's record (a failover), the seed is still revealed this long after the opening. */
const REVEAL_ANYWAY_MS = 10 * 60_000;

export async function fairness(app: Pick<App, 'catalog' | 'waitingRoom'>, concertId: string, now = Date.now()) {
  const { concert, seedHex } = await app.catalog.saleOf(concertId);
  const draw = await app.waitingRoom.drawPage(concertId, 0, 0);
  const revealed = draw.openedAt !== null || now >= Date.parse(concert.salesOpenAt) + REVEAL_ANYWAY_MS;
  return {
    concertId,
    commitment: concert.commitment,
    seed: revealed ? seedHex : null,
    salesOpenAt: concert.salesOpenAt,
    openedAt: draw.openedAt ? new Date(draw.openedAt).toISOString() : null,
    preQueued: draw.preQueued,
    method: DRAW_METHOD,
  };
}

const PAGE = 1000;

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown };
    if (Number.isSafeInteger(o) && (o as number) >= 0) return o as number;
  } catch {
    // fall through
  }
  throw new BadRequestError('INVALID_CURSOR', 'The cursor is not one this API gave out.');
}

export async function drawnEntries(app: Pick<App, 'catalog' | 'waitingRoom'>, concertId: string, cursor: string | undefined, limit = PAGE) {
  await app.catalog.requireConcert(concertId);
  const offset = decodeCursor(cursor);
  const page = await app.waitingRoom.drawPage(concertId, offset, Math.min(limit, PAGE));
  return {
    concertId,
    drawn: page.openedAt !== null,
    preQueued: page.preQueued,
    entries: page.entries.map((entryId, i) => ({ position: offset + i + 1, entryId })),
    nextCursor: page.next === null ? null : encodeCursor(page.next),
  };
}
