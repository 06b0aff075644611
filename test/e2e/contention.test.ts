/**
 * The invariants under concurrency, over HTTP against the real stack: no seat sold
 * twice, no won created or lost. Every test ends with an audit of what DynamoDB holds.
 */
import { randomUUID } from 'node:crypto';
import { app } from '../../lib/app';
import { api, charge, givenActiveUsers, givenConcert, givenUser, hold, payFor, sleep, type ActiveUser } from '../support/api';
import { auditAll, auditWallets } from '../support/invariants';

const DATE = '2027-03-01';

const storedSeat = async (concertId: string, seatNo: number) => (await app().seats.getSeat(concertId, DATE, seatNo))!;
const storedReservation = async (reservationId: string) => (await app().seats.getReservation(reservationId))!;
const releaseExpiredHold = (reservationId: string, now?: number) => app().holds.releaseExpiredHold(reservationId, now);
const balanceOf = async (u: { token: string }) => (await api('GET', '/v1/balance', { token: u.token })).body.balance as number;

describe('holding under contention', () => {
  it('lets exactly one of 300 concurrent users hold one seat; the other 299 get a clean 409', async () => {
    const { concertId } = await givenConcert({ seats: 50 });
    const users = await givenActiveUsers(300, concertId);

    const outcomes = await Promise.all(users.map((u) => hold(u, concertId, DATE, 25)));

    const winners = outcomes.filter((o) => o.status === 201);
    const losers = outcomes.filter((o) => o.status !== 201);
    expect(winners).toHaveLength(1);
    expect(losers.map((l) => `${l.status} ${l.body.error.code}`)).toEqual(Array(299).fill('409 SEAT_UNAVAILABLE'));
    const winner = users[outcomes.indexOf(winners[0]!)]!;
    const seat = await storedSeat(concertId, 25);
    expect(seat).toMatchObject({ status: 'HELD', holderId: winner.userId, reservationId: winners[0]!.body.reservationId });
    expect((await auditAll(concertId, [DATE], users.map((u) => u.userId))).problems).toEqual([]);
  });

  it('gives 1,000 users racing for the 50 seats of one date exactly 50 holds, one per seat', async () => {
    const { concertId } = await givenConcert({ seats: 50 });
    const users = await givenActiveUsers(1000, concertId);

    const outcomes = await Promise.all(users.map((u) => hold(u, concertId, DATE, 1 + Math.floor(Math.random() * 50))));

    const won = outcomes.filter((o) => o.status === 201);
    expect(outcomes.filter((o) => o.status !== 201).map((o) => `${o.status} ${o.body.error.code}`)).toEqual(Array(950).fill('409 SEAT_UNAVAILABLE'));
    // 1,000 random picks cover all 50 seats (the chance one is missed is about 1e-7).
    expect(won).toHaveLength(50);
    expect(new Set(won.map((o) => o.body.seatNo)).size).toBe(50);
    for (const o of won) {
      const holder = users[outcomes.indexOf(o)]!;
      expect(await storedSeat(concertId, o.body.seatNo)).toMatchObject({ status: 'HELD', holderId: holder.userId, reservationId: o.body.reservationId });
    }
    const audit = await auditAll(concertId, [DATE], users.map((u) => u.userId));
    expect(audit.problems).toEqual([]);
    expect(audit.seats.seats).toMatchObject({ held: 50, available: 0 });
    expect(audit.seats.reservations.HELD).toBe(50);
  });

  it('gives all 50 seats to exactly 50 of 1,000 users when each tries seats until one sticks', async () => {
    const { concertId } = await givenConcert({ seats: 50 });
    const users = await givenActiveUsers(1000, concertId);

    const results = await Promise.all(
      users.map(async (u) => {
        for (let attempt = 0; attempt < 60; attempt++) {
          const seats = (await api('GET', `/v1/concerts/${concertId}/dates/${DATE}/seats`, { token: u.token, queueToken: u.queueToken })).body.seats;
          const free = seats.filter((s: { status: string }) => s.status === 'AVAILABLE');
          if (free.length === 0) return 'SOLD_OUT';
          const pick = free[Math.floor(Math.random() * free.length)].seatNo;
          const res = await hold(u, concertId, DATE, pick);
          if (res.status === 201) return 'HELD';
          if (res.status !== 409) return `UNEXPECTED ${res.status}`;
        }
        return 'GAVE_UP';
      }),
    );

    expect(results.filter((r) => r === 'HELD')).toHaveLength(50);
    expect(results.filter((r) => r !== 'HELD' && r !== 'SOLD_OUT')).toEqual([]);
    const audit = await auditAll(concertId, [DATE], users.map((u) => u.userId));
    expect(audit.problems).toEqual([]);
    expect(audit.seats.seats).toMatchObject({ held: 50, available: 0 });
  });
});

describe('money under contention', () => {
  it('adds exactly 100,000 for 100 concurrent charges of 1,000, with 100 ledger entries', async () => {
    const u = await givenUser();
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => charge(u, 1_000)));

    expect(outcomes.filter((o) => o.status !== 201)).toEqual([]);
    expect(await balanceOf(u)).toBe(100_000);
    const balancesSeen = outcomes.map((o) => o.body.balance).sort((a, b) => a - b);
    expect(balancesSeen).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 1_000)); // each saw its own step
    const audit = await auditWallets([u.userId]);
    expect(audit.problems).toEqual([]);
    expect(audit.totalCharged).toBe(100_000);
    const history = await api('GET', '/v1/balance/history?limit=100', { token: u.token });
    expect(history.body.entries).toHaveLength(100);
  });

  it('charges once for 20 concurrent retries with one Idempotency-Key', async () => {
    const u = await givenUser();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => charge(u, 7_000, 'retry-key-123456')));

    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill(201));
    expect(new Set(outcomes.map((o) => o.body.chargeId)).size).toBe(1);
    expect(await balanceOf(u)).toBe(7_000);
    expect((await auditWallets([u.userId])).problems).toEqual([]);
  });

  it('debits exactly once for 20 concurrent payments of one reservation with different keys', async () => {
    const { concertId } = await givenConcert({ price: 60_000 });
    const [buyer] = await givenActiveUsers(1, concertId);
    await charge(buyer!, 1_000_000);
    const id = (await hold(buyer!, concertId, DATE, 11)).body.reservationId;

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => payFor(buyer!, id, randomUUID())));

    const paid = outcomes.filter((o) => o.status === 201);
    expect(paid).toHaveLength(1);
    // The losers saw the reservation paid (or, once the buyer's session ended, a spent queue token).
    expect(outcomes.filter((o) => o.status !== 201).map((o) => o.body.error.code).filter((c) => c !== 'ALREADY_PAID' && c !== 'QUEUE_TOKEN_EXPIRED')).toEqual([]);
    expect(await balanceOf(buyer!)).toBe(940_000);
    const audit = await auditAll(concertId, [DATE], [buyer!.userId]);
    expect(audit.problems).toEqual([]);
    expect(audit.wallets.payments).toHaveLength(1);
  });

  it('ends every payment racing the release at the moment of expiry either paid or released, never both or neither', async () => {
    const RACES = 40;
    const { concertId } = await givenConcert({ seats: RACES, price: 10_000, holdSeconds: 2 });
    const buyers = await givenActiveUsers(RACES, concertId);
    await Promise.all(buyers.map((b) => charge(b, 100_000)));

    const races = await Promise.all(
      buyers.map(async (b, i) => {
        await sleep(i * 75); // one race at a time, so each lands where it is aimed
        const held = await hold(b, concertId, DATE, i + 1);
        const id = held.body.reservationId as string;
        const expiresAt = Date.parse(held.body.expiresAt);
        // Aim both at the expiry: the payment leaves 50-150 ms early (it makes a few round
        // trips before its transaction), the release (one read, then its transaction)
        // within +-15 ms of it.
        const at = (offsetMs: number) => sleep(Math.max(0, expiresAt + offsetMs - Date.now()));
        const [payment, release] = await Promise.all([
          at(-150 + Math.random() * 100).then(() => payFor(b, id)),
          at(-15 + Math.random() * 30).then(() => releaseExpiredHold(id)),
        ]);
        return { b, id, seatNo: i + 1, payment, release };
      }),
    );

    let paidCount = 0;
    let releasedCount = 0;
    for (const r of races) {
      // Let a release that was "not due yet" happen, as the re-delayed message would.
      if (r.payment.status !== 201) await releaseExpiredHold(r.id, Date.now() + 5_000);
      const seat = await storedSeat(concertId, r.seatNo);
      const reservation = await storedReservation(r.id);
      const balance = await balanceOf(r.b);
      if (r.payment.status === 201) {
        paidCount++;
        expect([seat.status, reservation.status, balance]).toEqual(['RESERVED', 'CONFIRMED', 90_000]);
        expect(r.release.outcome).not.toBe('RELEASED');
      } else {
        releasedCount++;
        expect([r.payment.status, r.payment.body.error.code]).toEqual([409, 'HOLD_EXPIRED']);
        expect([seat.status, reservation.status, balance]).toEqual(['AVAILABLE', 'EXPIRED', 100_000]);
      }
    }
    const releasedByRace = races.filter((r) => r.release.outcome === 'RELEASED').length;
    console.log(`payment vs release at expiry: ${paidCount} paid, ${releasedCount} released (${releasedByRace} by the racing release)`);
    expect(paidCount + releasedCount).toBe(RACES);
    const audit = await auditAll(concertId, [DATE], buyers.map((b) => b.userId));
    expect(audit.problems).toEqual([]);
    expect(audit.seats.seats.reserved).toBe(paidCount);
    expect(audit.wallets.totalBalance + audit.wallets.totalUsed).toBe(RACES * 100_000);
  });
});

describe('end-to-end through the SQS consumer', () => {
  it('frees an unpaid seat when its hold ends, through the delayed message and serverless-offline-sqs', async () => {
    const { concertId } = await givenConcert({ holdSeconds: 2 });
    const [alice]: ActiveUser[] = await givenActiveUsers(1, concertId);
    const id = (await hold(alice!, concertId, DATE, 4)).body.reservationId;
    expect((await storedSeat(concertId, 4)).status).toBe('HELD');

    // The stored items change only when the consumer has processed the message
    // (readers see the seat AVAILABLE from the expiry on regardless). The sweep would
    // need SWEEP_GRACE_SECONDS (30 s), so within 20 s only the message can do it.
    const deadline = Date.now() + 20_000;
    let seat = await storedSeat(concertId, 4);
    while (seat.status === 'HELD' && Date.now() < deadline) {
      await sleep(250);
      seat = await storedSeat(concertId, 4);
    }
    expect(seat.status).toBe('AVAILABLE');
    expect(seat.reservationId).toBeUndefined();
    expect((await storedReservation(id)).status).toBe('EXPIRED');
    expect((await api('GET', `/v1/reservations/${id}`, { token: alice!.token })).body.status).toBe('EXPIRED');
  });
});
