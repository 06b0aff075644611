/** The concert list: one card per concert with its dates, status and the way into its queue. */
import { useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api/client';
import { usePoll } from '../hooks';
import { t, word } from '../i18n';
import { ErrorBox } from './parts';

type Concert = Schemas['ConcertList']['concerts'][number];

export function Concerts() {
  const tx = t();
  const [concerts, setConcerts] = useState<Concert[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  usePoll(async () => {
    try {
      setConcerts((await unwrap(api.GET('/v1/concerts'))).concerts);
      setError(null);
    } catch (err) {
      setError(err as Error);
    }
    return 10_000;
  }, []);
  return (
    <section>
      <h1>{tx.concertsTitle}</h1>
      <ErrorBox error={error} />
      {concerts?.length === 0 && <p>{tx.noConcerts}</p>}
      <div class="grid">
        {concerts?.map((c) => {
          const status = c.status ?? 'ON_SALE';
          return (
            <article class="card" data-testid={`concert-${c.concertId}`} key={c.concertId}>
              <h2>{c.name}</h2>
              {c.venue && <p class="muted">{c.venue}</p>}
              <p>
                <span class={`badge status-${status}`} data-testid="concert-status">
                  {word('status', status)}
                </span>
              </p>
              <ul class="dates">
                {c.dates.map((d) => (
                  <li key={d.date}>
                    {d.date} · {tx.seatsTotal(d.totalSeats)}
                  </li>
                ))}
              </ul>
              <a class="button" href={`/queue/${c.concertId}`} data-testid="enter-queue" aria-disabled={status === 'SOLD_OUT' || status === 'CLOSED'}>
                {tx.enterQueue}
              </a>
            </article>
          );
        })}
      </div>
    </section>
  );
}
