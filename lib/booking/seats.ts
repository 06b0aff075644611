/**
 * Reading dates and seats. A seat whose hold has expired reads as AVAILABLE at once,
 * before its release message is processed (see isFree in holds.ts).
 */
import { queryAll, tables } from '../clients/dynamodb';
import { requireConcertOnSale, requireShow } from './catalog';
import { isFree } from './holds';
import { showId } from './keys';

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'RESERVED';

export interface SeatView {
  seatNo: number;
  status: SeatStatus;
  price: number;
}

function querySeats(id: string) {
  return queryAll({
    TableName: tables.seats,
    KeyConditionExpression: 'showId = :id',
    ProjectionExpression: 'seatNo, #status, price, holdExpiresAt',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':id': id },
  });
}

function seatView(item: Record<string, unknown>, now: number): SeatView {
  const status: SeatStatus = isFree(item, now) ? 'AVAILABLE' : (item.status as SeatStatus);
  return { seatNo: Number(item.seatNo), status, price: Number(item.price) };
}

export async function listSeats(concertId: string, date: string) {
  const show = await requireShow(concertId, date);
  const now = Date.now();
  const seats = (await querySeats(show.showId)).map((item) => seatView(item, now));
  return { concertId, date, totalSeats: show.totalSeats, availableSeats: seats.filter((s) => s.status === 'AVAILABLE').length, seats };
}

export async function listDates(concertId: string) {
  const concert = await requireConcertOnSale(concertId);
  const now = Date.now();
  const dates = await Promise.all(
    concert.dates.map(async (d) => {
      const seats = (await querySeats(showId(concertId, d.date))).map((item) => seatView(item, now));
      const prices = seats.map((s) => s.price);
      return {
        date: d.date,
        totalSeats: d.totalSeats,
        availableSeats: seats.filter((s) => s.status === 'AVAILABLE').length,
        minPrice: Math.min(...prices),
        maxPrice: Math.max(...prices),
      };
    }),
  );
  return { concertId, name: concert.name, dates: dates.sort((a, b) => a.date.localeCompare(b.date)) };
}
