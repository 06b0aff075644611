/**
 * Holding a seat, and ending a hold (expiry, or the holder giving it back). The
 * conditions of each step are the seat store's (seat-store.ts) and the hold guard's
 * (lib/wallet/wallet-store.ts); this module composes them into transactions:
 *
 *   hold     seat: hold, reservation: open, guard: add      (at most HOLD_LIMIT_PER_CONCERT)
 *   release  seat: free (expired), reservation: end EXPIRED, guard: remove
 *   give up  seat: free, reservation: end CANCELLED (or EXPIRED if past expiry), guard: remove
 *
 * so two users can never hold one seat, one user can never exceed the limit, and a late
 * or duplicate release message, or one arriving after payment, changes nothing.
 *
 * Before any of it, a hold takes the seat's fast claim in Redis (seat-claims.ts): of a
 * crowd clicking one seat, only the claimer reads and runs the transaction; the others
 * are answered 409 at once. The claim never decides who gets a seat, only who may try.
 */
import { randomUUID } from 'node:crypto';
import type { Dynamo } from '../clients/dynamodb';
import { Transaction } from '../clients/transactions';
import { ConflictError, NotFoundError } from '../errors';
import { count, logger } from '../observability';
import { backoffMs, sleep } from '../retry';
import type { WalletStore } from '../wallet/wallet-store';
import { priceOf, type Catalog, type Show } from './catalog';
import type { ReleaseQueue } from './release-queue';
import type { SeatClaims } from './seat-claims';
import { isFree, viewOf, type HoldEnd, type ReservationItem, type ReservationStatus, type ReservationView, type SeatStore } from './seat-store';

export interface HoldRequest {
  userId: string;
  concertId: string;
  date: string;
  seatNo: number;
}

export type ReleaseOutcome =
  | { outcome: 'RELEASED' }
  | { outcome: 'NOT_DUE'; dueInMs: number }
  | { outcome: 'NOTHING_TO_DO'; status: ReservationStatus | 'MISSING' | 'CHANGED' };

type HoldItem = 'seat' | 'reservation' | 'guard' | 'previous' | 'previousGuard';

/**
 * Told once for each hold that ended EXPIRED (unpaid), after that end committed; the
 * abuse limits (lib/limits) count them per user and concert. Best effort, never throws.
 */
export interface UnpaidHoldCounter {
  holdExpiredUnpaid(userId: string, concertId: string): Promise<void>;
}

const GUARD_RETRIES = 5;

const alreadyPaid = (r: Pick<ReservationItem, 'paymentId'>) =>
  new ConflictError('ALREADY_PAID', 'This reservation is paid and can no longer be released.', { paymentId: r.paymentId });

export class Holds {
  constructor(
    private readonly deps: {
      db: Dynamo;
      seats: SeatStore;
      wallets: WalletStore;
      catalog: Catalog;
      releases: ReleaseQueue;
      unpaidHolds?: UnpaidHoldCounter;
      holdLimitPerConcert: number;
      /** The fast claim taken before any DynamoDB work (seat-claims.ts); none = every hold runs its transaction. */
      claims?: SeatClaims;
    },
  ) {}

  async holdSeat(req: HoldRequest): Promise<ReservationView> {
    const { catalog } = this.deps;
    const show = await catalog.requireShow(req.concertId, req.date);
    if (req.seatNo > show.totalSeats) {
      throw new NotFoundError('SEAT_NOT_FOUND', `Seat ${req.seatNo} does not exist; ${req.date} has seats 1-${show.totalSeats}.`);
    }
    const seatTaken = () => {
      count('HoldsRejected');
      return new ConflictError('SEAT_UNAVAILABLE', `Seat ${req.seatNo} on ${req.date} is not available.`, {
        concertId: req.concertId,
        date: req.date,
        seatNo: req.seatNo,
      });
    };

    // One id for the whole attempt: it is the claim's token and, if the hold commits, the reservation's id.
    const reservationId = randomUUID();
    const claim = (await this.deps.claims?.claim(req, reservationId, show.holdSeconds * 1000)) ?? 'NO_CLAIM';
    if (claim === 'TAKEN') {
      count('HoldsRejectedByClaim');
      throw seatTaken();
    }
    let held = false;
    try {
      const view = await this.holdClaimed(req, reservationId, show, seatTaken);
      held = true;
      return view;
    } finally {
      // A claim that timed out may still have been written: drop it too (a no-op when there is none).
      if (!held) await this.deps.claims?.drop(req, reservationId);
    }
  }

  /** The hold itself, once the caller may try (claimed, or claims unavailable): reads, then the transaction. */
  private async holdClaimed(req: HoldRequest, reservationId: string, show: Show, seatTaken: () => ConflictError): Promise<ReservationView> {
    const { seats, wallets, releases, holdLimitPerConcert } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      // Both reads only shape the transaction (and answer clear losers without one);
      // the transaction's conditions alone decide who gets the seat.
      const [seat, guard] = await Promise.all([seats.getSeat(req.concertId, req.date, req.seatNo), wallets.readHoldGuard(req.userId, req.concertId, now)]);
      if (seat && !isFree(seat, now)) throw seatTaken();
      const liveHolds = Object.keys(guard.live);
      if (liveHolds.length >= holdLimitPerConcert) {
        count('HoldsRejected');
        throw new ConflictError(
          'HOLD_LIMIT_REACHED',
          `You already hold ${liveHolds.length} seat(s) for this concert (limit ${holdLimitPerConcert}); pay or release first.`,
          { reservationIds: liveHolds },
        );
      }

      const reservation: ReservationItem = {
        reservationId,
        userId: req.userId,
        concertId: req.concertId,
        date: req.date,
        seatNo: req.seatNo,
        price: priceOf(show, req.seatNo),
        status: 'HELD',
        createdAt: new Date(now).toISOString(),
        expiresAt: now + show.holdSeconds * 1000,
      };
      const tx = new Transaction<HoldItem>()
        .add('seat', seats.hold(reservation, now))
        .add('reservation', seats.open(reservation))
        .add('guard', wallets.addHold(req.userId, req.concertId, guard, reservation.reservationId, reservation.expiresAt));
      // The seat's last hold ran out unreleased (its release message is late or was lost):
      // this hold ends that reservation in the same transaction, so no HELD reservation is
      // ever left behind without its seat, whatever fails after the commit. Its holder's
      // guard forgets it too (the caller's own guard is rewritten above with live holds only).
      const previous = seat?.status === 'HELD' && seat.reservationId ? { reservationId: String(seat.reservationId), userId: String(seat.holderId) } : undefined;
      if (previous) {
        tx.add('previous', seats.end(previous, 'EXPIRED', now));
        if (previous.userId !== req.userId) tx.add('previousGuard', wallets.removeHold({ ...previous, concertId: req.concertId }));
      }

      const result = await this.deps.db.transact(tx);
      if (result.committed) {
        count('HoldsPlaced');
        logger.info('hold.placed', {
          reservationId: reservation.reservationId,
          concertId: req.concertId,
          date: req.date,
          seatNo: req.seatNo,
          expiresAt: new Date(reservation.expiresAt).toISOString(),
        });
        await releases.schedule(reservation.reservationId, reservation.expiresAt);
        if (previous) {
          count('HoldsReleased');
          logger.info('hold.released', { reservationId: previous.reservationId, concertId: req.concertId, date: req.date, seatNo: req.seatNo, reason: 'EXPIRED', takenOverBy: reservationId });
          await this.deps.unpaidHolds?.holdExpiredUnpaid(previous.userId, req.concertId);
        }
        return viewOf(reservation, now);
      }
      if (result.failed('seat')) throw seatTaken();
      // The expired hold this one took over was ended at the same moment (its release): read again.
      if (result.failed('previous')) {
        if (attempt >= GUARD_RETRIES) throw seatTaken();
        await sleep(backoffMs(attempt));
        continue;
      }
      // Only the guard moved: this user placed or ended another hold at the same moment.
      if (!result.failed('guard')) throw new Error(`hold transaction cancelled: ${result.describe()}`);
      if (attempt >= GUARD_RETRIES) throw new ConflictError('HOLD_BUSY', 'Your other holds are changing at this moment; try again.');
      await sleep(backoffMs(attempt));
    }
  }

  /** The caller's unexpired holds for a concert (reservation ids), as its hold guard counts them. */
  async liveHolds(userId: string, concertId: string, now = Date.now()): Promise<string[]> {
    return Object.keys((await this.deps.wallets.readHoldGuard(userId, concertId, now)).live);
  }

  /** The caller's own reservation; anyone else's is indistinguishable from a missing one. */
  async ownReservation(userId: string, reservationId: string): Promise<ReservationItem> {
    const r = await this.deps.seats.getReservation(reservationId);
    if (!r || r.userId !== userId) throw new NotFoundError('RESERVATION_NOT_FOUND', `You have no reservation ${reservationId}.`);
    return r;
  }

  /**
   * Ends a HELD reservation and frees its seat. When the seat has moved on (taken by the
   * next holder after expiry, which the seat's condition refuses), the reservation is
   * ended alone.
   */
  private async endHold(r: ReservationItem, outcome: HoldEnd, now: number, onlyIfExpired: boolean) {
    const { seats, wallets, db } = this.deps;
    const endItems = (tx: Transaction<'seat' | 'reservation' | 'guard'>) =>
      tx.add('reservation', seats.end(r, outcome, now)).add('guard', wallets.removeHold(r));
    let result = await db.transact(endItems(new Transaction<'seat' | 'reservation' | 'guard'>().add('seat', seats.free(r, now, { onlyIfExpired }))));
    if (!result.committed && result.failed('seat') && !result.failed('reservation')) {
      result = await db.transact(endItems(new Transaction<'seat' | 'reservation' | 'guard'>()));
    }
    return result;
  }

  /**
   * The release of an unpaid hold, asked for by the delayed SQS message (or the sweep).
   * Idempotent: only a reservation still HELD and past its expiry is ended, and only a
   * seat still held by it is freed.
   */
  async releaseExpiredHold(reservationId: string, now = Date.now()): Promise<ReleaseOutcome> {
    const r = await this.deps.seats.getReservation(reservationId);
    if (!r) return { outcome: 'NOTHING_TO_DO', status: 'MISSING' };
    if (r.status !== 'HELD') return { outcome: 'NOTHING_TO_DO', status: r.status };
    if (r.expiresAt > now) return { outcome: 'NOT_DUE', dueInMs: r.expiresAt - now };

    const result = await this.endHold(r, 'EXPIRED', now, true);
    if (!result.committed) return { outcome: 'NOTHING_TO_DO', status: 'CHANGED' };
    count('HoldsReleased');
    logger.info('hold.released', { reservationId, concertId: r.concertId, date: r.date, seatNo: r.seatNo, reason: 'EXPIRED' });
    await this.deps.unpaidHolds?.holdExpiredUnpaid(r.userId, r.concertId);
    return { outcome: 'RELEASED' };
  }

  /** The holder gives the seat back before paying. Idempotent; a paid reservation is a 409. */
  async cancelHold(userId: string, reservationId: string, now = Date.now()): Promise<ReservationView> {
    const r = await this.ownReservation(userId, reservationId);
    if (r.status === 'CONFIRMED') throw alreadyPaid(r);
    if (r.status !== 'HELD') return viewOf(r, now);
    const outcome = r.expiresAt <= now ? 'EXPIRED' : 'CANCELLED';
    const result = await this.endHold(r, outcome, now, false);
    const after = await this.ownReservation(userId, reservationId);
    if (after.status === 'CONFIRMED') throw alreadyPaid(after);
    if (result.committed) {
      // The winner's claim may still be running: the seat can be taken again at once.
      await this.deps.claims?.drop(r, r.reservationId);
      count('HoldsReleased');
      logger.info('hold.released', { reservationId, concertId: r.concertId, date: r.date, seatNo: r.seatNo, reason: outcome });
      // Given back only after it had run out: it kept the seat locked as long as one left to expire.
      if (outcome === 'EXPIRED') await this.deps.unpaidHolds?.holdExpiredUnpaid(r.userId, r.concertId);
    }
    return viewOf(after, now);
  }

  /**
   * Safety net behind the delayed messages: frees every seat whose hold expired more than
   * `graceMs` ago (a message that was never sent, or lost). Reads the sparse index of
   * held seats by expiry, so it costs nothing when nothing is overdue.
   */
  async sweepExpiredHolds(now = Date.now(), graceMs = 0): Promise<{ released: number; checked: number }> {
    const overdue = await this.deps.seats.overdueHolds(now - graceMs);
    let released = 0;
    for (const reservationId of overdue) {
      if ((await this.releaseExpiredHold(reservationId, now)).outcome === 'RELEASED') released++;
    }
    if (released > 0) logger.warn('hold.sweep_released', { released, checked: overdue.length });
    return { released, checked: overdue.length };
  }
}
