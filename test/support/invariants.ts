/**
 * The product's invariants, checked against what is really stored in DynamoDB.
 * Used after every concurrency test and by the benchmark's ticket-open simulation.
 *
 *   Seats:  a RESERVED seat has exactly one CONFIRMED reservation and one payment of
 *           its price; a seat never has two CONFIRMED reservations; a HELD seat points
 *           at a HELD reservation of the same seat.
 *   Money:  per wallet, balance = sum(CHARGE) - sum(USE) = balanceAfter of the last
 *           ledger entry, the ledger has no gaps, every USE is a payment of the same
 *           amount and every payment is a USE. A payment may cover several seats: its
 *           amount is the sum of its seats' amounts, it names each reservation once, and
 *           every seat of it counts as one paid seat below.
 */
import { app } from '../../lib/app';
import { showId } from '../../lib/booking/seat-store';

const db = () => app().clients.dynamo;

const reservationsOf = (concertId: string) =>
  db().scanAll({ TableName: db().tables.reservations, FilterExpression: 'concertId = :c', ExpressionAttributeValues: { ':c': concertId }, ConsistentRead: true });

export interface SeatAudit {
  problems: string[];
  seats: { total: number; available: number; held: number; reserved: number };
  reservations: { HELD: number; CONFIRMED: number; EXPIRED: number; CANCELLED: number };
  /** Every reservation id of the concert. */
  reservationIds: Set<string>;
  /** Seat items that are RESERVED, with the buyer. */
  sold: { date: string; seatNo: number; userId: string; reservationId: string; paymentId: string; price: number }[];
}

export async function auditSeats(concertId: string, dates: string[]): Promise<SeatAudit> {
  const problems: string[] = [];
  const reservations = await reservationsOf(concertId);
  const byId = new Map(reservations.map((r) => [r.reservationId, r]));
  const counts = { HELD: 0, CONFIRMED: 0, EXPIRED: 0, CANCELLED: 0 } as SeatAudit['reservations'];
  for (const r of reservations) counts[r.status as keyof typeof counts]++;

  const seats = { total: 0, available: 0, held: 0, reserved: 0 };
  const sold: SeatAudit['sold'] = [];
  const confirmedPerSeat = new Map<string, number>();
  for (const r of reservations) {
    if (r.status !== 'CONFIRMED') continue;
    const key = `${r.date}#${r.seatNo}`;
    confirmedPerSeat.set(key, (confirmedPerSeat.get(key) ?? 0) + 1);
  }
  for (const [key, n] of confirmedPerSeat) if (n > 1) problems.push(`seat ${key} has ${n} confirmed reservations (sold twice)`);

  for (const date of dates) {
    const items = await db().queryAll({ TableName: db().tables.seats, KeyConditionExpression: 'showId = :s', ExpressionAttributeValues: { ':s': showId(concertId, date) }, ConsistentRead: true });
    for (const seat of items) {
      seats.total++;
      const where = `${date} seat ${seat.seatNo}`;
      if (seat.status === 'AVAILABLE') {
        seats.available++;
        if (seat.reservationId) problems.push(`${where} is AVAILABLE but still names reservation ${seat.reservationId}`);
      } else if (seat.status === 'HELD') {
        seats.held++;
        const r = byId.get(seat.reservationId);
        if (!r) problems.push(`${where} is HELD by unknown reservation ${seat.reservationId}`);
        else if (r.seatNo !== seat.seatNo || r.date !== date) problems.push(`${where} is HELD by a reservation for another seat`);
        else if (r.status === 'CONFIRMED') problems.push(`${where} is HELD but its reservation is CONFIRMED`);
      } else if (seat.status === 'RESERVED') {
        seats.reserved++;
        const r = byId.get(seat.reservationId);
        if (!r || r.status !== 'CONFIRMED') problems.push(`${where} is RESERVED but reservation ${seat.reservationId} is ${r?.status ?? 'missing'}`);
        else if (r.paymentId !== seat.paymentId) problems.push(`${where} payment ${seat.paymentId} differs from its reservation's ${r.paymentId}`);
        else sold.push({ date, seatNo: seat.seatNo, userId: r.userId, reservationId: r.reservationId, paymentId: r.paymentId, price: r.price });
      } else {
        problems.push(`${where} has unknown status ${seat.status}`);
      }
    }
  }
  for (const r of reservations) {
    if (r.status === 'CONFIRMED' && !sold.some((s) => s.reservationId === r.reservationId)) {
      problems.push(`reservation ${r.reservationId} is CONFIRMED but its seat is not RESERVED by it`);
    }
  }
  return { problems, seats, reservations: counts, sold, reservationIds: new Set(byId.keys()) };
}

export interface WalletAudit {
  problems: string[];
  totalBalance: number;
  totalCharged: number;
  totalUsed: number;
  /** One entry per paid seat (a payment of several seats gives several), with that seat's amount. */
  payments: { userId: string; paymentId: string; reservationId: string; amount: number }[];
}

interface StoredPaidSeat {
  reservationId: string;
  amount: number;
}

export async function auditWallets(userIds: string[]): Promise<WalletAudit> {
  const audit: WalletAudit = { problems: [], totalBalance: 0, totalCharged: 0, totalUsed: 0, payments: [] };
  for (const userId of new Set(userIds)) {
    const items = await db().queryAll({ TableName: db().tables.accounts, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId }, ConsistentRead: true });
    const wallet = items.find((i) => i.sk === 'WALLET');
    const ledger = items.filter((i) => i.sk.startsWith('LEDGER#')).sort((a, b) => a.sk.localeCompare(b.sk));
    const payments = items.filter((i) => i.sk.startsWith('PAYMENT#'));
    const balance = Number(wallet?.balance ?? 0);
    let running = 0;
    ledger.forEach((e, i) => {
      if (e.sk !== `LEDGER#${String(i + 1).padStart(12, '0')}`) audit.problems.push(`${userId}: ledger gap before ${e.sk}`);
      running += e.type === 'CHARGE' ? e.amount : -e.amount;
      if (e.balanceAfter !== running) audit.problems.push(`${userId}: ${e.sk} says balanceAfter ${e.balanceAfter}, entries sum to ${running}`);
      if (e.amount <= 0) audit.problems.push(`${userId}: ${e.sk} has non-positive amount ${e.amount}`);
      if (e.type === 'CHARGE') audit.totalCharged += e.amount;
      else audit.totalUsed += e.amount;
    });
    if (running !== balance) audit.problems.push(`${userId}: balance ${balance} but ledger sums to ${running}`);
    if (Number(wallet?.seq ?? 0) !== ledger.length) audit.problems.push(`${userId}: wallet seq ${wallet?.seq} but ${ledger.length} ledger entries`);
    if (balance < 0) audit.problems.push(`${userId}: negative balance ${balance}`);

    const uses = new Map(ledger.filter((e) => e.type === 'USE').map((e) => [String(e.ref).replace('payment:', ''), e.amount]));
    for (const p of payments) {
      // Records from before multi-seat payments name their one seat at the top level.
      const seats: StoredPaidSeat[] = p.seats ?? [{ reservationId: p.reservationId, amount: p.amount }];
      const ids: string[] = p.reservationIds ?? [p.reservationId];
      const sum = seats.reduce((n, x) => n + x.amount, 0);
      if (sum !== p.amount) audit.problems.push(`${userId}: payment ${p.paymentId} of ${p.amount} has seats summing to ${sum}`);
      if (new Set(seats.map((x) => x.reservationId)).size !== seats.length) audit.problems.push(`${userId}: payment ${p.paymentId} names a reservation twice`);
      if (ids.join(',') !== seats.map((x) => x.reservationId).join(',') || p.reservationId !== ids[0]) {
        audit.problems.push(`${userId}: payment ${p.paymentId} reservationIds ${ids.join(',')} differ from its seats`);
      }
      for (const seat of seats) audit.payments.push({ userId, paymentId: p.paymentId, reservationId: seat.reservationId, amount: seat.amount });
      if (uses.get(p.paymentId) !== p.amount) audit.problems.push(`${userId}: payment ${p.paymentId} of ${p.amount} has no matching USE entry`);
      uses.delete(p.paymentId);
    }
    for (const [ref] of uses) audit.problems.push(`${userId}: USE entry for ${ref} has no payment`);
    audit.totalBalance += balance;
  }
  return audit;
}

/**
 * Both audits together, plus the links between them: every sold seat was paid by its
 * buyer exactly once (in one payment, alone or with other seats) at its price, and no
 * payment covers an unsold seat.
 */
export async function auditAll(concertId: string, dates: string[], userIds: string[]) {
  const [seats, wallets] = await Promise.all([auditSeats(concertId, dates), auditWallets(userIds)]);
  const problems = [...seats.problems, ...wallets.problems];
  const paidReservations = new Map<string, WalletAudit['payments']>();
  for (const p of wallets.payments.filter((x) => seats.reservationIds.has(x.reservationId))) {
    paidReservations.set(p.reservationId, [...(paidReservations.get(p.reservationId) ?? []), p]);
  }
  for (const s of seats.sold) {
    const paid = paidReservations.get(s.reservationId) ?? [];
    if (paid.length !== 1) problems.push(`${s.date} seat ${s.seatNo} was paid ${paid.length} times`);
    else if (paid[0]!.userId !== s.userId || paid[0]!.amount !== s.price) problems.push(`${s.date} seat ${s.seatNo}: payment does not match buyer or price`);
    else if (paid[0]!.paymentId !== s.paymentId) problems.push(`${s.date} seat ${s.seatNo}: sold under payment ${s.paymentId} but paid by ${paid[0]!.paymentId}`);
    paidReservations.delete(s.reservationId);
  }
  for (const [reservationId] of paidReservations) problems.push(`payment for reservation ${reservationId} but its seat is not sold to it`);
  return { problems, seats, wallets };
}
