/**
 * Reading dates and seats. A seat whose hold has expired reads as AVAILABLE at once,
 * before its release message is processed (seatStatusOf in seat-store.ts). The seats
 * of a show come from the container's short cache (show-seats-cache.ts).
 */
import type { Catalog } from './catalog';
import { seatStatusOf, showId, type SeatStatus, type SeatStore } from './seat-store';
import { ShowSeatsCache } from './show-seats-cache';
import type { Item } from '../clients/dynamodb';

export interface SeatView {
  seatNo: number;
  status: SeatStatus;
  price: number;
}

const seatView = (item: Item, now: number): SeatView => ({ seatNo: Number(item.seatNo), status: seatStatusOf(item, now), price: Number(item.price) });

export class Listings {
  constructor(
    private readonly catalog: Catalog,
    private readonly seats: SeatStore,
    readonly cache: ShowSeatsCache = new ShowSeatsCache(0),
  ) {}

  private seatsOf(show: string) {
    return this.cache.get(show, (id) => this.seats.querySeats(id));
  }

  async listSeats(concertId: string, date: string) {
    const show = await this.catalog.requireShow(concertId, date);
    const now = Date.now();
    const seats = (await this.seatsOf(show.showId)).map((item) => seatView(item, now));
    return { concertId, date, totalSeats: show.totalSeats, availableSeats: seats.filter((s) => s.status === 'AVAILABLE').length, seats };
  }

  async listDates(concertId: string) {
    const concert = await this.catalog.requireConcert(concertId);
    const now = Date.now();
    const dates = await Promise.all(
      concert.dates.map(async (d) => {
        const seats = (await this.seatsOf(showId(concertId, d.date))).map((item) => seatView(item, now));
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
}
