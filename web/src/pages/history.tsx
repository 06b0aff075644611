/**
 * The signed-in user's history: the balance with its ledger (GET /v1/balance/history) and
 * the payments (GET /v1/payments), newest first, a page at a time ("More" follows the
 * API's nextCursor).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, bearer, unwrap, ApiError, type Schemas } from '../api/client';
import { when, won } from '../format';
import { t, word } from '../i18n';
import { session } from '../session';
import { ErrorBox } from './parts';

type Entry = Schemas['History']['entries'][number];
type Payment = Schemas['Payment'];

/** Rows per page. */
export const HISTORY_PAGE = 10;

interface Paged<T> {
  rows: T[];
  next: string | null;
  loading: boolean;
}

/** A list read page by page; `more()` loads the page after the last one. */
function usePaged<T>(load: (cursor: string | undefined) => Promise<{ rows: T[]; next: string | null }>, onError: (e: ApiError) => void) {
  const [state, setState] = useState<Paged<T>>({ rows: [], next: null, loading: true });
  const fetchPage = async (cursor: string | undefined) => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await load(cursor);
      setState((s) => ({ rows: cursor ? [...s.rows, ...page.rows] : page.rows, next: page.next, loading: false }));
    } catch (err) {
      setState((s) => ({ ...s, loading: false }));
      onError(err as ApiError);
    }
  };
  useEffect(() => {
    void fetchPage(undefined);
  }, []);
  return { ...state, more: () => state.next && fetchPage(state.next) };
}

export function History() {
  const tx = t();
  const auth = bearer(session.value!.token);
  const [error, setError] = useState<ApiError | null>(null);
  const [balance, setBalance] = useState<number | null>(null);

  useEffect(() => {
    unwrap(api.GET('/v1/balance', { headers: auth }))
      .then((b) => setBalance(b.balance))
      .catch(setError);
  }, []);

  const ledger = usePaged<Entry>(async (cursor) => {
    const page = await unwrap(api.GET('/v1/balance/history', { params: { query: { limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) } }, headers: auth }));
    return { rows: page.entries, next: page.nextCursor };
  }, setError);

  const payments = usePaged<Payment>(async (cursor) => {
    const page = await unwrap(api.GET('/v1/payments', { params: { query: { limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) } }, headers: auth }));
    return { rows: page.payments, next: page.nextCursor };
  }, setError);

  return (
    <section>
      <h1>{tx.historyTitle}</h1>
      <ErrorBox error={error} />
      <p>
        {tx.balance}: <strong data-testid="balance">{balance === null ? '…' : won(balance)}</strong>
      </p>
      <div class="history">
        <section class="card" aria-labelledby="ledger-title">
          <h2 id="ledger-title">{tx.ledger}</h2>
          {!ledger.loading && ledger.rows.length === 0 && <p class="muted">{tx.none}</p>}
          <ul class="rows" data-testid="history-entries">
            {ledger.rows.map((e, i) => (
              <li key={`${e.at}-${e.ref ?? i}`} data-testid="history-entry" data-type={e.type}>
                <span class="row-main">
                  <strong>{word('entry', e.type)}</strong> <span class={e.type === 'CHARGE' ? 'plus' : 'minus'}>{`${e.type === 'CHARGE' ? '+' : '−'}${won(e.amount)}`}</span>
                </span>
                <span class="small muted">
                  {tx.balanceAfter} {won(e.balanceAfter)} · <time dateTime={e.at}>{when(e.at)}</time>
                </span>
              </li>
            ))}
          </ul>
          {ledger.next && (
            <button type="button" data-testid="history-more" disabled={ledger.loading} onClick={ledger.more}>
              {tx.more}
            </button>
          )}
        </section>
        <section class="card" aria-labelledby="payments-title">
          <h2 id="payments-title">{tx.payments}</h2>
          {!payments.loading && payments.rows.length === 0 && <p class="muted">{tx.none}</p>}
          <ul class="rows" data-testid="payments">
            {payments.rows.map((p) => (
              <li key={p.paymentId} data-testid="payment-row" data-payment-id={p.paymentId}>
                <span class="row-main">
                  <strong>{p.concertId ?? ''}</strong> {won(p.amount)}
                </span>
                <span class="small">
                  {p.seats.map((s) => `${s.date} · ${tx.seat} ${s.seatNo}`).join(', ')}
                </span>
                <span class="small muted">
                  {p.paidAt && <time dateTime={p.paidAt}>{when(p.paidAt)}</time>} · {tx.paymentId} <span class="mono">{p.paymentId}</span>
                </span>
              </li>
            ))}
          </ul>
          {payments.next && (
            <button type="button" data-testid="payments-more" disabled={payments.loading} onClick={payments.more}>
              {tx.more}
            </button>
          )}
        </section>
      </div>
    </section>
  );
}
