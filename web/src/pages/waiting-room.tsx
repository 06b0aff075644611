/**
 * The waiting room: enters the queue (or resumes the token this browser holds), then
 * polls the status exactly as `pollAfterMs` says (honouring Retry-After on a 429) and
 * moves on to booking by itself when the token is ACTIVE.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, bearer, unwrap, ApiError, type QueueTicket } from '../api/client';
import { duration, mmss } from '../format';
import { useNow, usePoll } from '../hooks';
import { t, word } from '../i18n';
import { queueTokens, session, setQueueToken } from '../session';
import { ErrorBox } from './parts';

export function WaitingRoom({ concertId }: { concertId: string }) {
  const tx = t();
  const { route } = useLocation();
  const [ticket, setTicket] = useState<QueueTicket | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [nextAt, setNextAt] = useState<number | null>(null);
  const [firstPosition, setFirstPosition] = useState<number | null>(null);
  const [attempt, setAttempt] = useState(0);
  const now = useNow(500);
  const auth = bearer(session.value!.token);

  usePoll(async (signal) => {
    try {
      let token = queueTokens.value[concertId];
      let view: QueueTicket;
      if (!token) {
        view = await unwrap(api.POST('/v1/queue/tokens', { body: { concertId }, headers: auth }));
        // Kept even if the user has left the page meanwhile: it is their place in the queue.
        token = view.token!;
        setQueueToken(concertId, token);
      } else {
        view = await unwrap(api.GET('/v1/queue/status', { params: { header: { 'X-Queue-Token': token } }, headers: auth, signal }));
      }
      // The user left this page while the answer was on its way: it must not move them.
      if (signal.aborted) return null;
      setTicket(view);
      setError(null);
      if (view.status === 'WAITING' && typeof view.position === 'number') setFirstPosition((p) => (p === null || view.position! > p ? view.position! : p));
      if (view.status === 'ACTIVE') {
        route(`/book/${encodeURIComponent(concertId)}`);
        return null;
      }
      if (view.status === 'EXPIRED' || view.status === 'SOLD_OUT' || view.status === 'CLOSED') {
        setQueueToken(concertId, undefined);
        return null;
      }
      const wait = view.pollAfterMs ?? 2000;
      setNextAt(Date.now() + wait);
      return wait;
    } catch (err) {
      if (signal.aborted) return null;
      const e = err as ApiError;
      setError(e);
      if (e.code === 'QUEUE_TOKEN_EXPIRED' || e.status === 404) {
        setQueueToken(concertId, undefined);
        setTicket({ status: 'EXPIRED', reason: String(e.details?.reason ?? e.code) } as QueueTicket);
        return null;
      }
      // The queue no longer knows the token (lost in a Redis failover): say so, offer to enter again.
      if (e.code === 'QUEUE_TOKEN_UNKNOWN' || e.code === 'QUEUE_TOKEN_INVALID') {
        setQueueToken(concertId, undefined);
        setTicket({ status: 'EXPIRED', reason: 'LOST' } as QueueTicket);
        return null;
      }
      if (e.status === 409) return null; // sale not open / closed / sold out: the message says so
      const wait = e.retryAfterMs ?? 3000;
      setNextAt(Date.now() + wait);
      return wait;
    }
  }, [concertId, attempt]);

  const status = ticket?.status;
  const progress = status === 'WAITING' && firstPosition && ticket?.position ? Math.max(0, Math.min(100, Math.round(((firstPosition - ticket.position) / firstPosition) * 100))) : status === 'ACTIVE' ? 100 : 0;
  const eta = ticket?.etaSeconds;
  const range = ticket?.etaRange;

  return (
    <section class="card narrow" aria-live="polite">
      <h1>{tx.waitingTitle}</h1>
      <p class="muted">{concertId}</p>
      <ErrorBox error={status === 'EXPIRED' ? null : error} />
      {ticket && (
        <>
          <dl class="figures">
            <dt>{tx.queueStatus}</dt>
            <dd>
              <span class={`badge q-${status}`} data-testid="queue-status">
                {status}
              </span>
            </dd>
            {status === 'WAITING' && (
              <>
                <dt>{tx.queuePosition}</dt>
                <dd data-testid="queue-position" class="big">
                  {ticket.position}
                </dd>
                <dt>{tx.queueEta}</dt>
                <dd data-testid="queue-eta">
                  {eta == null ? tx.etaUnknown : range ? `${duration(eta)} (${tx.etaRange(duration(range.low), duration(range.high))})` : duration(eta)}
                </dd>
              </>
            )}
          </dl>
          {status === 'WAITING' && typeof ticket.seatsAvailable === 'number' && <p class="muted" data-testid="queue-seats-left">{tx.seatsLeft(ticket.seatsAvailable)}</p>}
          {status === 'WAITING' && <progress data-testid="queue-progress" max={100} value={progress} aria-label={tx.queuePosition} />}
          <p data-testid="queue-message">{word('word', status)}</p>
          {status === 'PRE_QUEUE' && ticket.opensAt && <p data-testid="queue-opens-in">{tx.opensIn(mmss((Date.parse(ticket.opensAt) - now) / 1000))}</p>}
          {status === 'EXPIRED' && ticket.reason && <p data-testid="queue-reason">{tx.reason(word('reason', ticket.reason))}</p>}
          {(status === 'WAITING' || status === 'PRE_QUEUE') && nextAt && <p class="muted small">{tx.nextCheck(duration(Math.max(0, (nextAt - now) / 1000)))}</p>}
          {status === 'EXPIRED' && (
            <button type="button" data-testid="enter-again" onClick={() => setAttempt((a) => a + 1)}>
              {tx.enterAgain}
            </button>
          )}
        </>
      )}
    </section>
  );
}
