/**
 * Booking, for a user whose queue token is ACTIVE: dates with seats left, a seat map
 * refreshed every few seconds (and right after a failed hold), the hold with its
 * countdown, the balance with top-ups, payment and the receipt. Every refusal is shown
 * in the API's own words.
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, bearer, newIdempotencyKey, unwrap, ApiError, type Schemas } from '../api/client';
import { mmss, won } from '../format';
import { useNow, usePoll } from '../hooks';
import { t, word } from '../i18n';
import { queueTokens, session, setQueueToken } from '../session';
import { ErrorBox } from './parts';

type DateRow = Schemas['Dates']['dates'][number];
type Seat = Schemas['Seats']['seats'][number];
type Reservation = Schemas['Reservation'];
type Payment = Schemas['Payment'];

const SEATS_REFRESH_MS = 3000;

export function Booking({ concertId }: { concertId: string }) {
  const tx = t();
  const { route } = useLocation();
  const queueToken = queueTokens.value[concertId];
  const auth = bearer(session.value!.token);
  const gate = { header: { 'X-Queue-Token': queueToken ?? '' } };

  const [dates, setDates] = useState<DateRow[] | null>(null);
  const [date, setDate] = useState<string | null>(null);
  const [seats, setSeats] = useState<Seat[] | null>(null);
  const [hold, setHold] = useState<Reservation | null>(null);
  const [receipt, setReceipt] = useState<Payment | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [amount, setAmount] = useState('100000');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [seatsTick, setSeatsTick] = useState(0);
  useNow(250); // re-renders the hold countdown four times a second

  useEffect(() => {
    if (!queueToken && !receipt) route(`/queue/${encodeURIComponent(concertId)}`, true);
  }, [queueToken, receipt]);

  const fail = (err: unknown) => {
    const e = err as ApiError;
    setError(e);
    // The booking window ended: back to the waiting room, which explains why.
    if (e.code === 'QUEUE_TOKEN_EXPIRED') route(`/queue/${encodeURIComponent(concertId)}`);
  };

  const loadBalance = async () => setBalance((await unwrap(api.GET('/v1/balance', { headers: auth }))).balance);

  useEffect(() => {
    if (!queueToken) return;
    void (async () => {
      try {
        const d = await unwrap(api.GET('/v1/concerts/{concertId}/dates', { params: { path: { concertId }, ...gate }, headers: auth }));
        setDates(d.dates);
        setDate((cur) => cur ?? d.dates[0]?.date ?? null);
        await loadBalance();
      } catch (err) {
        fail(err);
      }
    })();
  }, [concertId, queueToken]);

  usePoll(async (signal) => {
    if (!date || !queueToken || receipt) return null;
    // An answer to a refresh sent with a queue token that has since ended (the payment ends
    // it) is stale: it must neither show an error nor send the user back to the queue.
    const stale = () => signal.aborted || queueTokens.value[concertId] !== queueToken;
    try {
      const s = await unwrap(api.GET('/v1/concerts/{concertId}/dates/{date}/seats', { params: { path: { concertId, date }, ...gate }, headers: auth, signal }));
      if (stale()) return null;
      setSeats(s.seats);
      setDates((ds) => ds?.map((d) => (d.date === date ? { ...d, availableSeats: s.availableSeats ?? s.seats.filter((x) => x.status === 'AVAILABLE').length } : d)) ?? ds);
    } catch (err) {
      if (stale()) return null;
      fail(err);
    }
    return SEATS_REFRESH_MS;
  }, [date, queueToken, receipt, seatsTick]);

  // The time is read at render, not from the last tick, so the first frame after a hold never
  // shows more than the hold's length.
  const holdLeft = hold?.expiresAt ? (Date.parse(hold.expiresAt) - Date.now()) / 1000 : null;
  useEffect(() => {
    if (hold && holdLeft !== null && holdLeft <= 0) {
      setHold(null);
      setError(new Error(tx.holdEnded));
      setSeatsTick((n) => n + 1);
    }
  }, [hold, holdLeft !== null && holdLeft <= 0]);

  const act = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const holdSeat = (seatNo: number) =>
    act(async () => {
      try {
        setHold(await unwrap(api.POST('/v1/reservations', { params: gate, body: { concertId, date: date!, seatNo }, headers: auth })));
      } finally {
        setSeatsTick((n) => n + 1);
      }
    });

  const topUp = () =>
    act(async () => {
      const n = Number(amount);
      const r = await unwrap(
        api.POST('/v1/balance/charges', { body: { amount: n }, headers: { ...auth, 'Idempotency-Key': newIdempotencyKey() } }),
      );
      setBalance(r.balance);
    });

  const pay = () =>
    act(async () => {
      const p = await unwrap(
        api.POST('/v1/payments', { params: { header: { 'X-Queue-Token': queueToken!, 'Idempotency-Key': newIdempotencyKey() } }, body: { reservationId: hold!.reservationId }, headers: auth }),
      );
      setReceipt(p);
      setBalance(p.balance);
      setHold(null);
      // Paying ends the queue token (the slot goes to the next user).
      setQueueToken(concertId, undefined);
    });

  const release = () =>
    act(async () => {
      await unwrap(api.DELETE('/v1/reservations/{reservationId}', { params: { path: { reservationId: hold!.reservationId } }, headers: auth }));
      setHold(null);
      setSeatsTick((n) => n + 1);
    });

  if (receipt) {
    return (
      <section class="card narrow" data-testid="receipt">
        <h1>{tx.receiptTitle}</h1>
        <dl class="figures">
          <dt>{tx.paymentId}</dt>
          <dd data-testid="payment-id">{receipt.paymentId}</dd>
          <dt>{tx.seat}</dt>
          <dd>
            {receipt.date ?? date} · {receipt.seatNo ?? ''}
          </dd>
          <dt>{tx.price}</dt>
          <dd>{won(receipt.amount)}</dd>
          <dt>{tx.balance}</dt>
          <dd data-testid="balance">{won(receipt.balance)}</dd>
        </dl>
        <a class="button" href="/">
          {tx.navConcerts}
        </a>
      </section>
    );
  }

  return (
    <section>
      <h1>{tx.bookingTitle}</h1>
      <ErrorBox error={error} />
      <div class="booking">
        <div>
          <h2>{tx.dates}</h2>
          <div class="dates-row" role="group" aria-label={tx.dates}>
            {dates?.map((d) => (
              <button type="button" key={d.date} data-testid={`date-${d.date}`} aria-pressed={d.date === date} class={d.date === date ? 'selected' : ''} onClick={() => setDate(d.date)}>
                {d.date}
                <span class="small"> · {tx.seatsLeft(d.availableSeats)}</span>
              </button>
            ))}
          </div>
          <h2>{tx.seatMap}</h2>
          <p class="stage">{tx.stage}</p>
          <div class="seats" data-testid="seat-map" role="group" aria-label={tx.seatMap}>
            {seats?.map((s) => {
              const mine = hold?.seatNo === s.seatNo && hold?.date === date;
              return (
                <button
                  type="button"
                  key={s.seatNo}
                  data-testid={`seat-${s.seatNo}`}
                  data-status={s.status}
                  class={`seat seat-${s.status}${mine ? ' mine' : ''}`}
                  aria-label={tx.seatLabel(s.seatNo, won(s.price), word('seatStatus', s.status))}
                  title={won(s.price)}
                  disabled={s.status !== 'AVAILABLE' || busy || !!hold}
                  onClick={() => holdSeat(s.seatNo)}
                >
                  {s.seatNo}
                </button>
              );
            })}
          </div>
          <p class="legend small">
            <span class="seat seat-AVAILABLE" aria-hidden="true" /> {tx.legendAvailable} <span class="seat seat-HELD" aria-hidden="true" /> {tx.legendHeld}{' '}
            <span class="seat seat-RESERVED" aria-hidden="true" /> {tx.legendReserved}
          </p>
        </div>
        <aside class="card">
          <h2>{tx.yourHold}</h2>
          {hold ? (
            <>
              <p data-testid="hold-seat">
                {hold.date} · {tx.seat} {hold.seatNo} · {won(hold.price)}
              </p>
              <p>
                {tx.holdEndsIn}{' '}
                <strong data-testid="hold-countdown" class="big" role="timer">
                  {mmss(holdLeft ?? 0)}
                </strong>
              </p>
            </>
          ) : (
            <p class="muted">{tx.pickSeat}</p>
          )}
          <p>
            {tx.balance}: <strong data-testid="balance">{balance === null ? '…' : won(balance)}</strong>
          </p>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void topUp();
            }}
          >
            <label>
              {tx.topupAmount}
              <input data-testid="topup-amount" type="number" min={1} step={1} inputMode="numeric" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
            </label>
            <button type="submit" data-testid="topup-button" disabled={busy}>
              {tx.topup}
            </button>
          </form>
          <div class="actions">
            <button type="button" data-testid="pay-button" class="primary" disabled={!hold || busy} onClick={pay}>
              {tx.pay}
            </button>
            <button type="button" data-testid="release-button" disabled={!hold || busy} onClick={release}>
              {tx.release}
            </button>
          </div>
        </aside>
      </div>
    </section>
  );
}
