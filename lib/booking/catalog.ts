/**
 * Concerts and their dates (the catalog), and the seats created with them.
 *
 * Concerts table: one item per concert, key `concertId`, holding its dates (date, seat
 * count, price tiers). The catalog is small and read on every queue entry, so reads are
 * cached per container for a few seconds (CATALOG_CACHE_MS); prices and seat counts of a
 * date never change after creation, so a cached copy is never wrong about them.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Dynamo } from '../clients/dynamodb';
import { ConflictError, NotFoundError, BadRequestError } from '../errors';
import { logger } from '../observability';
import { showId, type SeatStore } from './seat-store';

export interface PriceTier {
  fromSeat: number;
  toSeat: number;
  price: number;
}

export interface ShowDateSpec {
  date: string;
  totalSeats: number;
  /** Price of every seat not covered by a tier. */
  price: number;
  priceTiers: PriceTier[];
}

export interface ConcertSpec {
  concertId: string;
  name: string;
  venue?: string;
  /** How long a seat stays held for payment; HOLD_SECONDS when not set. */
  holdSeconds?: number;
  dates: ShowDateSpec[];
}

export interface Concert extends ConcertSpec {
  status: 'CREATING' | 'ON_SALE';
  createdAt: string;
}

export interface Show extends ShowDateSpec {
  showId: string;
  holdSeconds: number;
}

const CATALOG_CACHE_MS = 5_000;
const SEAT_WRITE_CONCURRENCY = 16;
/** Seats one creation may write (it runs within one function invocation). */
export const MAX_SEATS_PER_CONCERT = 10_000;

export function priceOf(show: ShowDateSpec, seatNo: number): number {
  return show.priceTiers.find((t) => seatNo >= t.fromSeat && seatNo <= t.toSeat)?.price ?? show.price;
}

function specHash(spec: ConcertSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('base64url');
}

function validateSpec(spec: ConcertSpec): void {
  const total = spec.dates.reduce((n, d) => n + d.totalSeats, 0);
  if (total > MAX_SEATS_PER_CONCERT) {
    throw new BadRequestError('TOO_MANY_SEATS', `A concert may have at most ${MAX_SEATS_PER_CONCERT} seats over all its dates (this one has ${total}).`);
  }
  const seen = new Set<string>();
  for (const d of spec.dates) {
    if (seen.has(d.date)) throw new BadRequestError('DUPLICATE_DATE', `Date ${d.date} is listed twice.`);
    seen.add(d.date);
    for (const t of d.priceTiers) {
      if (t.fromSeat > t.toSeat || t.toSeat > d.totalSeats) {
        throw new BadRequestError('INVALID_PRICE_TIER', `Price tier ${t.fromSeat}-${t.toSeat} does not fit the ${d.totalSeats} seats of ${d.date}.`);
      }
    }
  }
}

function toConcert(item: Record<string, unknown>): Concert {
  const { specHash: _hash, ...rest } = item;
  return rest as unknown as Concert;
}

export class Catalog {
  private readonly concertCache = new Map<string, { at: number; value: Concert | undefined }>();
  private listCache: { at: number; value: Concert[] } | undefined;

  constructor(
    private readonly db: Dynamo,
    private readonly seats: SeatStore,
    private readonly defaultHoldSeconds: number,
  ) {}

  /**
   * Creates a concert with its dates and seats. Safe to retry with the same definition:
   * an interrupted creation (concert still CREATING) is resumed, a finished one is
   * returned as it is. Seats are created with attribute_not_exists, so a retry never
   * resets a seat that was sold. Another definition under an existing id is a 409.
   */
  async createConcert(spec: ConcertSpec, now = new Date()): Promise<Concert> {
    validateSpec(spec);
    const { db } = this;
    const hash = specHash(spec);
    const concert: Concert = { ...spec, status: 'CREATING', createdAt: now.toISOString() };
    try {
      await db.doc.send(
        new PutCommand({
          TableName: db.tables.concerts,
          Item: { ...concert, specHash: hash },
          ConditionExpression: 'attribute_not_exists(concertId) OR (#status = :creating AND specHash = :hash)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':creating': 'CREATING', ':hash': hash },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const { Item } = await db.doc.send(new GetCommand({ TableName: db.tables.concerts, Key: { concertId: spec.concertId }, ConsistentRead: true }));
      if (Item?.specHash === hash && Item.status === 'ON_SALE') return toConcert(Item);
      throw new ConflictError('CONCERT_EXISTS', `Concert "${spec.concertId}" already exists with another definition.`);
    }

    const seats = spec.dates.flatMap((d) => Array.from({ length: d.totalSeats }, (_, i) => ({ show: d, seatNo: i + 1 })));
    for (let i = 0; i < seats.length; i += SEAT_WRITE_CONCURRENCY) {
      await Promise.all(
        seats
          .slice(i, i + SEAT_WRITE_CONCURRENCY)
          .map(({ show, seatNo }) => this.seats.createSeat(spec.concertId, show.date, seatNo, priceOf(show, seatNo))),
      );
    }

    await db.doc.send(
      new UpdateCommand({
        TableName: db.tables.concerts,
        Key: { concertId: spec.concertId },
        UpdateExpression: 'SET #status = :onSale',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':onSale': 'ON_SALE' },
      }),
    );
    this.concertCache.delete(spec.concertId);
    this.listCache = undefined;
    logger.info('concert.created', { concertId: spec.concertId, dates: spec.dates.length, seats: seats.length });
    return { ...concert, status: 'ON_SALE' };
  }

  /** A concert by id (cached for a few seconds), or undefined. */
  async getConcert(concertId: string): Promise<Concert | undefined> {
    const hit = this.concertCache.get(concertId);
    if (hit && Date.now() - hit.at < CATALOG_CACHE_MS) return hit.value;
    const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.concerts, Key: { concertId } }));
    const value = Item ? toConcert(Item) : undefined;
    this.concertCache.set(concertId, { at: Date.now(), value });
    return value;
  }

  async requireConcertOnSale(concertId: string): Promise<Concert> {
    const concert = await this.getConcert(concertId);
    if (!concert || concert.status !== 'ON_SALE') throw new NotFoundError('CONCERT_NOT_FOUND', `There is no concert "${concertId}".`);
    return concert;
  }

  async requireShow(concertId: string, date: string): Promise<Show> {
    const concert = await this.requireConcertOnSale(concertId);
    const show = concert.dates.find((d) => d.date === date);
    if (!show) throw new NotFoundError('DATE_NOT_FOUND', `Concert "${concertId}" has no show on ${date}.`);
    return { ...show, showId: showId(concertId, date), holdSeconds: concert.holdSeconds ?? this.defaultHoldSeconds };
  }

  /** Every concert on sale, with its dates (cached for a few seconds). */
  async listConcerts(): Promise<Concert[]> {
    if (this.listCache && Date.now() - this.listCache.at < CATALOG_CACHE_MS) return this.listCache.value;
    const concerts = (
      await this.db.scanAll({
        TableName: this.db.tables.concerts,
        FilterExpression: '#status = :onSale',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':onSale': 'ON_SALE' },
      })
    ).map(toConcert);
    concerts.sort((a, b) => a.concertId.localeCompare(b.concertId));
    this.listCache = { at: Date.now(), value: concerts };
    return concerts;
  }
}
