/**
 * Concerts and their dates (the catalog), and the seats created with them.
 *
 * Concerts table: one item per concert, key `concertId`, holding its dates (date, seat
 * count, price tiers). The catalog is small and read on every queue entry, so reads are
 * cached per container for a few seconds (CATALOG_CACHE_MS; unknown ids for a second, in
 * a bounded LRU: concert-cache.ts); prices and seat counts of a date never change after
 * creation, so a cached copy is never wrong about them. No seat may cost more than
 * BALANCE_MAX, the most a wallet can hold, or it could never be bought.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Dynamo } from '../clients/dynamodb';
import { ConflictError, NotFoundError, BadRequestError, UnprocessableError } from '../errors';
import { logger } from '../observability';
import { commitmentOf, newSeed } from '../queue/lottery';
import { ConcertCache, CONCERT_CACHE_DEFAULTS } from './concert-cache';
import { preQueueOpensAt, saleStatus, type SaleStatus, type SaleWindow } from './sale';
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
  /** ISO time the sale opens; absent = at creation. */
  salesOpenAt?: string;
  /** ISO time the sale closes; absent = when sold out. */
  salesCloseAt?: string;
  /** How long before salesOpenAt people can join the pre-queue. */
  preQueueMinutes?: number;
}

/** A concert as the catalog keeps it (the lottery's seed is kept apart: see saleOf). */
export interface Concert extends Omit<ConcertSpec, 'salesOpenAt' | 'salesCloseAt' | 'preQueueMinutes'>, SaleWindow {
  /** CREATING while its seats are being written, then READY. */
  creation: 'CREATING' | 'READY';
  createdAt: string;
  /** hex(SHA-256(seed)) of the pre-queue lottery, published from creation on. */
  commitment: string;
}

export interface SaleChange {
  salesOpenAt?: string;
  /** null removes the end. */
  salesCloseAt?: string | null;
  /** Ends the sale now. */
  closeNow?: boolean;
}

export interface Show extends ShowDateSpec {
  showId: string;
  holdSeconds: number;
}

const CATALOG_CACHE_MS = 5_000;
/**
 * How long one creation attempt owns a CREATING concert. Longer than the create
 * function's timeout (serverless.yml, checked by test/e2e/deploy-config.test.ts), so the
 * attempt a retry takes over from has surely ended and never writes seats again.
 */
export const CREATION_LEASE_SECONDS = 60;
/** Seats one creation may write (it runs within one function invocation). */
export const MAX_SEATS_PER_CONCERT = 10_000;

export function priceOf(show: ShowDateSpec, seatNo: number): number {
  return show.priceTiers.find((t) => seatNo >= t.fromSeat && seatNo <= t.toSeat)?.price ?? show.price;
}

function specHash(spec: ConcertSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('base64url');
}

/**
 * Checks a definition before anything is written (also called before queue settings are
 * applied). `maxPrice`: the highest seat price allowed (BALANCE_MAX; the catalog passes it).
 */
export function validateSpec(spec: ConcertSpec, now = Date.now(), maxPrice = Number.POSITIVE_INFINITY): void {
  validateWindow(spec.salesOpenAt ? Date.parse(spec.salesOpenAt) : now, spec.salesCloseAt ? Date.parse(spec.salesCloseAt) : undefined);
  const total = spec.dates.reduce((n, d) => n + d.totalSeats, 0);
  if (total > MAX_SEATS_PER_CONCERT) {
    throw new BadRequestError('TOO_MANY_SEATS', `A concert may have at most ${MAX_SEATS_PER_CONCERT} seats over all its dates (this one has ${total}).`);
  }
  const seen = new Set<string>();
  for (const d of spec.dates) {
    if (seen.has(d.date)) throw new BadRequestError('DUPLICATE_DATE', `Date ${d.date} is listed twice.`);
    seen.add(d.date);
    const highest = Math.max(d.price, ...d.priceTiers.map((t) => t.price));
    if (highest > maxPrice) {
      throw new UnprocessableError(
        'PRICE_ABOVE_BALANCE_MAX',
        `A seat may cost at most ${maxPrice} won, the most a balance can hold (BALANCE_MAX); ${d.date} has a price of ${highest} won.`,
        { date: d.date, price: highest, maxPrice },
      );
    }
    for (const t of d.priceTiers) {
      if (t.fromSeat > t.toSeat || t.toSeat > d.totalSeats) {
        throw new BadRequestError('INVALID_PRICE_TIER', `Price tier ${t.fromSeat}-${t.toSeat} does not fit the ${d.totalSeats} seats of ${d.date}.`);
      }
    }
  }
}

function validateWindow(opensAt: number, closesAt: number | undefined): void {
  if (!Number.isFinite(opensAt)) throw new BadRequestError('INVALID_SALES_OPEN_AT', 'salesOpenAt must be an ISO date and time.');
  if (closesAt !== undefined && !Number.isFinite(closesAt)) throw new BadRequestError('INVALID_SALES_CLOSE_AT', 'salesCloseAt must be an ISO date and time.');
  if (closesAt !== undefined && closesAt <= opensAt) throw new BadRequestError('CLOSE_BEFORE_OPEN', 'salesCloseAt must be after salesOpenAt.');
}

interface StoredConcert extends Concert {
  lotterySeed: string;
  /** While CREATING: epoch ms until which the attempt that wrote it owns the creation. */
  creationLeaseUntil?: number;
}

function toStored(item: Record<string, unknown>): StoredConcert {
  const { specHash: _hash, ...rest } = item;
  return rest as unknown as StoredConcert;
}

function toConcert(stored: StoredConcert): Concert {
  const { lotterySeed: _seed, creationLeaseUntil: _lease, ...concert } = stored;
  return concert;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Catalog {
  private readonly concertCache = new ConcertCache<StoredConcert>({ ...CONCERT_CACHE_DEFAULTS, foundTtlMs: CATALOG_CACHE_MS });
  private listCache: { at: number; value: StoredConcert[] } | undefined;

  constructor(
    private readonly db: Dynamo,
    private readonly seats: SeatStore,
    private readonly defaultHoldSeconds: number,
    private readonly defaultPreQueueMinutes = 30,
    /** BALANCE_MAX: no seat may cost more than a wallet can hold. */
    private readonly maxSeatPrice = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Creates a concert with its dates and seats. Safe to retry with the same definition:
   * a finished one is returned as it is; an interrupted one (still CREATING, so nobody
   * could hold a seat of it) is taken over and written again once its creation lease has
   * run out, and answered 409 CONCERT_CREATING while the first attempt may still be
   * writing. Another definition under an existing id is a 409 CONCERT_EXISTS.
   * Seats are written in parallel batches (seat-store writeNewSeats): 10,000 seats take
   * a few seconds, well inside the function's timeout.
   */
  async createConcert(spec: ConcertSpec, now = new Date()): Promise<Concert> {
    validateSpec(spec, now.getTime(), this.maxSeatPrice);
    const { db } = this;
    const hash = specHash(spec);
    const { salesOpenAt, salesCloseAt, preQueueMinutes, ...definition } = spec;
    // A fresh seed for the lottery; only its commitment is ever shown before the opening.
    const lotterySeed = newSeed();
    const stored: StoredConcert = {
      ...definition,
      salesOpenAt: iso(salesOpenAt ? Date.parse(salesOpenAt) : now.getTime()),
      ...(salesCloseAt ? { salesCloseAt: iso(Date.parse(salesCloseAt)) } : {}),
      preQueueMinutes: preQueueMinutes ?? this.defaultPreQueueMinutes,
      scheduleVersion: 0,
      creation: 'CREATING',
      createdAt: now.toISOString(),
      creationLeaseUntil: now.getTime() + CREATION_LEASE_SECONDS * 1000,
      commitment: commitmentOf(lotterySeed),
      lotterySeed,
    };
    try {
      await db.doc.send(
        new PutCommand({
          TableName: db.tables.concerts,
          Item: { ...stored, specHash: hash },
          ConditionExpression:
            'attribute_not_exists(concertId) OR (creation = :creating AND specHash = :hash AND (attribute_not_exists(creationLeaseUntil) OR creationLeaseUntil < :now))',
          ExpressionAttributeValues: { ':creating': 'CREATING', ':hash': hash, ':now': now.getTime() },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const { Item } = await db.doc.send(new GetCommand({ TableName: db.tables.concerts, Key: { concertId: spec.concertId }, ConsistentRead: true }));
      if (Item?.specHash === hash && Item.creation === 'READY') return toConcert(toStored(Item));
      // Our own write: the SDK resent a Put whose reply was lost, and the resend failed
      // the condition the first send had just made true. The commitment comes from this
      // attempt's fresh seed, so no other attempt's item can match it.
      const ours = Item?.creation === 'CREATING' && Item.commitment === stored.commitment;
      if (!ours && Item?.specHash === hash && Item.creation === 'CREATING') {
        const retryAfterSeconds = Math.max(1, Math.ceil((Number(Item.creationLeaseUntil) - now.getTime()) / 1000));
        throw new ConflictError('CONCERT_CREATING', `Concert "${spec.concertId}" is being created; ask again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
      if (!ours) throw new ConflictError('CONCERT_EXISTS', `Concert "${spec.concertId}" already exists with another definition.`);
    }

    await this.seats.writeNewSeats(
      spec.dates.flatMap((show) =>
        Array.from({ length: show.totalSeats }, (_, i) => ({ concertId: spec.concertId, date: show.date, seatNo: i + 1, price: priceOf(show, i + 1) })),
      ),
    );

    // Ours only if no retry took the creation over meanwhile (it then finishes it).
    try {
      await db.doc.send(
        new UpdateCommand({
          TableName: db.tables.concerts,
          Key: { concertId: spec.concertId },
          UpdateExpression: 'SET creation = :ready REMOVE creationLeaseUntil',
          ConditionExpression: 'creation = :creating AND creationLeaseUntil = :lease',
          ExpressionAttributeValues: { ':ready': 'READY', ':creating': 'CREATING', ':lease': stored.creationLeaseUntil },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // READY under our commitment: our update did apply, only its reply was lost.
      const { Item } = await db.doc.send(new GetCommand({ TableName: db.tables.concerts, Key: { concertId: spec.concertId }, ConsistentRead: true }));
      if (!(Item?.creation === 'READY' && Item.commitment === stored.commitment)) {
        throw new ConflictError('CONCERT_CREATING', `Concert "${spec.concertId}" was taken over by a later attempt; ask again shortly.`, { retryAfterSeconds: 1 });
      }
    }
    const seatCount = spec.dates.reduce((n, d) => n + d.totalSeats, 0);
    this.forget(spec.concertId);
    logger.info('concert.created', { concertId: spec.concertId, dates: spec.dates.length, seats: seatCount });
    return toConcert({ ...stored, creation: 'READY' });
  }

  /**
   * Moves the sale window (only while SCHEDULED) or ends the sale now (while SCHEDULED or
   * ON_SALE). Optimistic: the update is conditional on the version read, and bumps it.
   */
  async changeSale(concertId: string, change: SaleChange, now = Date.now()): Promise<Concert> {
    const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.concerts, Key: { concertId }, ConsistentRead: true }));
    if (!Item || Item.creation !== 'READY') throw new NotFoundError('CONCERT_NOT_FOUND', `There is no concert "${concertId}".`);
    const current = toStored(Item);
    const status = saleStatus(current, now);
    const moving = change.salesOpenAt !== undefined || change.salesCloseAt !== undefined;
    if (moving && status !== 'SCHEDULED') {
      throw new ConflictError('SALE_STARTED', `The sale window can be moved only before the sale opens; this concert is ${status}.`, { status });
    }
    if (change.closeNow && status !== 'SCHEDULED' && status !== 'ON_SALE') {
      throw new ConflictError('SALE_ENDED', `The sale has already ended (${status}).`, { status });
    }
    const opensAt = change.salesOpenAt !== undefined ? Date.parse(change.salesOpenAt) : Date.parse(current.salesOpenAt);
    let closesAt = change.salesCloseAt === null ? undefined : change.salesCloseAt !== undefined ? Date.parse(change.salesCloseAt) : current.salesCloseAt ? Date.parse(current.salesCloseAt) : undefined;
    if (change.closeNow) closesAt = Math.max(now, opensAt + 1);
    if (change.salesOpenAt !== undefined && opensAt <= now) throw new BadRequestError('OPENS_IN_PAST', 'A moved salesOpenAt must be in the future.');
    validateWindow(opensAt, closesAt);

    const version = current.scheduleVersion ?? 0;
    const next: StoredConcert = { ...current, salesOpenAt: iso(opensAt), scheduleVersion: version + 1 };
    if (closesAt === undefined) delete next.salesCloseAt;
    else next.salesCloseAt = iso(closesAt);
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.concerts,
          Item: { ...next, specHash: Item.specHash },
          ConditionExpression: 'scheduleVersion = :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // The version we wrote, with our window: our Put applied and the SDK's resend (its
      // reply was lost) failed the condition. Anything else is someone else's change.
      const { Item: now2 } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.concerts, Key: { concertId }, ConsistentRead: true }));
      const ours = now2?.scheduleVersion === version + 1 && now2.salesOpenAt === next.salesOpenAt && now2.salesCloseAt === next.salesCloseAt;
      if (!ours) throw new ConflictError('SALE_CHANGED', 'The sale was changed by someone else at the same time; read it again and retry.');
    }
    this.forget(concertId);
    logger.info('concert.sale_changed', { concertId, salesOpenAt: next.salesOpenAt, salesCloseAt: next.salesCloseAt, version: next.scheduleVersion });
    return toConcert(next);
  }

  /** Records that every seat is sold (idempotent; the first time is kept). */
  async markSoldOut(concertId: string, now = Date.now()): Promise<void> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.concerts,
          Key: { concertId },
          UpdateExpression: 'SET soldOutAt = :now',
          ConditionExpression: 'attribute_exists(concertId) AND attribute_not_exists(soldOutAt)',
          ExpressionAttributeValues: { ':now': iso(now) },
        }),
      );
      logger.info('concert.sold_out', { concertId });
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    this.forget(concertId);
  }

  private forget(concertId: string) {
    this.concertCache.forget(concertId);
    this.listCache = undefined;
  }

  private stored(concertId: string): Promise<StoredConcert | undefined> {
    return this.concertCache.get(concertId, async (id) => {
      const { Item } = await this.db.doc.send(new GetCommand({ TableName: this.db.tables.concerts, Key: { concertId: id } }));
      return Item && Item.creation === 'READY' ? toStored(Item) : undefined;
    });
  }

  /** A created concert by id (cached for a few seconds), or undefined. */
  async getConcert(concertId: string): Promise<Concert | undefined> {
    const s = await this.stored(concertId);
    return s && toConcert(s);
  }

  /** A created concert, whatever its sale status; 404 otherwise. */
  async requireConcert(concertId: string): Promise<Concert> {
    const concert = await this.getConcert(concertId);
    if (!concert) throw new NotFoundError('CONCERT_NOT_FOUND', `There is no concert "${concertId}".`);
    return concert;
  }

  /** The concert with its lottery seed (the waiting room needs it for pre-queue entries; never shown before the opening). */
  async saleOf(concertId: string): Promise<{ concert: Concert; seedHex: string }> {
    const s = await this.stored(concertId);
    if (!s) throw new NotFoundError('CONCERT_NOT_FOUND', `There is no concert "${concertId}".`);
    return { concert: toConcert(s), seedHex: s.lotterySeed };
  }

  /** The concert, if seats can be held now: 409 SALES_NOT_OPEN / SALES_CLOSED / SOLD_OUT otherwise. */
  async requireOnSale(concertId: string, now = Date.now()): Promise<Concert> {
    const concert = await this.requireConcert(concertId);
    const status = saleStatus(concert, now);
    if (status !== 'ON_SALE') throw saleNotOn(concert, status);
    return concert;
  }

  async requireShow(concertId: string, date: string): Promise<Show> {
    const concert = await this.requireConcert(concertId);
    const show = concert.dates.find((d) => d.date === date);
    if (!show) throw new NotFoundError('DATE_NOT_FOUND', `Concert "${concertId}" has no show on ${date}.`);
    return { ...show, showId: showId(concertId, date), holdSeconds: concert.holdSeconds ?? this.defaultHoldSeconds };
  }

  /** Every created concert (scheduled ones too, and ended ones), with its dates (cached for a few seconds). */
  async listConcerts(): Promise<Concert[]> {
    return (await this.listStored()).map(toConcert);
  }

  private async listStored(): Promise<StoredConcert[]> {
    if (this.listCache && Date.now() - this.listCache.at < CATALOG_CACHE_MS) return this.listCache.value;
    const concerts = (
      await this.db.scanAll({
        TableName: this.db.tables.concerts,
        FilterExpression: 'creation = :ready',
        ExpressionAttributeValues: { ':ready': 'READY' },
      })
    ).map(toStored);
    concerts.sort((a, b) => a.concertId.localeCompare(b.concertId));
    this.listCache = { at: Date.now(), value: concerts };
    return concerts;
  }
}

export const totalSeatsOf = (c: Pick<Concert, 'dates'>) => c.dates.reduce((n, d) => n + d.totalSeats, 0);

/** The 409 for booking or entering outside the sale. */
export function saleNotOn(concert: Concert, status: SaleStatus) {
  switch (status) {
    case 'SCHEDULED':
      return new ConflictError('SALES_NOT_OPEN', `The sale opens at ${concert.salesOpenAt}.`, { opensAt: concert.salesOpenAt });
    case 'SOLD_OUT':
      return new ConflictError('SOLD_OUT', 'Every seat of this concert is sold.');
    default:
      return new ConflictError('SALES_CLOSED', 'The sale of this concert has closed.', { closedAt: concert.salesCloseAt });
  }
}

/** What anyone may see of a concert: its sale status and window, never the lottery's seed. */
export function publicConcert(c: Concert, now = Date.now()) {
  return {
    concertId: c.concertId,
    name: c.name,
    venue: c.venue,
    status: saleStatus(c, now),
    salesOpenAt: c.salesOpenAt,
    salesCloseAt: c.salesCloseAt ?? null,
    preQueueOpensAt: new Date(preQueueOpensAt(c)).toISOString(),
    soldOutAt: c.soldOutAt ?? null,
    commitment: c.commitment,
    holdSeconds: c.holdSeconds,
    dates: c.dates,
    createdAt: c.createdAt,
  };
}
