/**
 * The operator console (admin token): pick a concert, watch its queue live (waiting,
 * active, admissions, polled every 2 s), the admissions per second of the last minutes as
 * a chart drawn from those polls, change the queue settings while it runs, and create a
 * concert.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, bearer, unwrap, ApiError, type Schemas } from '../api/client';
import { usePoll } from '../hooks';
import { clock } from '../format';
import { t } from '../i18n';
import { session, signOut } from '../session';
import { ErrorBox } from './parts';

type Figures = Schemas['QueueFigures'];
type Concert = Schemas['ConcertList']['concerts'][number];

const FIGURES_POLL_MS = 2000;
const CHART_WINDOW_MS = 5 * 60_000;
const SETTINGS = ['maxActive', 'admissionsPerSecond', 'activeSessionSeconds', 'abandonAfterSeconds'] as const;
type SettingName = (typeof SETTINGS)[number];

/**
 * One poll's reading: the admissions per second between the poll before and this one
 * (the admittedTotal delta over the time between them; the API's own last-minute rate if
 * the totals are missing). The first reading only starts the chart.
 */
interface Sample {
  from: number | null;
  at: number;
  admittedTotal: number | undefined;
  perSecond: number;
}

function nextSample(prev: Sample | undefined, f: Figures, at: number): Sample {
  const total = f.admittedTotal;
  if (!prev) return { from: null, at, admittedTotal: total, perSecond: 0 };
  const perSecond =
    prev.admittedTotal !== undefined && total !== undefined && at > prev.at
      ? Math.max(0, (total - prev.admittedTotal) / ((at - prev.at) / 1000))
      : (f.admissionRatePerSecond ?? 0);
  return { from: prev.at, at, admittedTotal: total, perSecond };
}

const rate = (v: number) => (v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/** Admissions per second as bars, one per poll interval, from the first reading (at most CHART_WINDOW_MS ago) to now. */
function AdmissionsChart({ samples, now }: { samples: Sample[]; now: number }) {
  const tx = t();
  const W = 300;
  const H = 100;
  const start = Math.max(now - CHART_WINDOW_MS, samples[0]?.at ?? now);
  const span = Math.max(1, now - start);
  const bars = samples.filter((s): s is Sample & { from: number } => s.from !== null && s.at > start);
  const peak = Math.max(0, ...bars.map((s) => s.perSecond));
  const x = (at: number) => (Math.max(0, at - start) / span) * W;
  const h = (v: number) => (peak > 0 ? (v / peak) * (H - 4) : 0);
  const latest = bars.at(-1)?.perSecond ?? 0;
  return (
    <figure class="chart">
      <figcaption>{tx.admissionsChart}</figcaption>
      <svg
        data-testid="admin-chart"
        data-samples={bars.length}
        data-peak={rate(peak)}
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${tx.admissionsChart}: ${tx.perSecond(rate(latest))}, ${tx.chartPeak(tx.perSecond(rate(peak)))}`}
      >
        {bars.map((b) => (
          <rect key={b.at} class="bar" x={x(b.from).toFixed(2)} width={Math.max(0.5, x(b.at) - x(b.from)).toFixed(2)} y={(H - h(b.perSecond)).toFixed(2)} height={h(b.perSecond).toFixed(2)} />
        ))}
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
      </svg>
      <div class="chart-axis small muted">
        <span>{clock(start)}</span>
        <span>{bars.length > 0 ? tx.chartPeak(tx.perSecond(rate(peak))) : tx.chartCollecting}</span>
        <span>{tx.chartNow}</span>
      </div>
    </figure>
  );
}

function ConcertPicker({ concertId }: { concertId: string | undefined }) {
  const tx = t();
  const { route } = useLocation();
  const [concerts, setConcerts] = useState<Concert[]>([]);
  usePoll(async () => {
    setConcerts((await unwrap(api.GET('/v1/concerts'))).concerts);
    return 10_000;
  }, []);
  // The list is cached for a few seconds: a concert just created is offered anyway.
  const ids = concerts.map((c) => c.concertId);
  const options = concertId && !ids.includes(concertId) ? [{ concertId, name: concertId }, ...concerts] : concerts;
  return (
    <label>
      {tx.concert}
      <select data-testid="admin-concert" value={concertId ?? ''} onChange={(e) => e.currentTarget.value && route(`/admin/${encodeURIComponent(e.currentTarget.value)}`)}>
        <option value="">{tx.pickConcert}</option>
        {options.map((c) => (
          <option key={c.concertId} value={c.concertId}>
            {c.name === c.concertId ? c.concertId : `${c.name} (${c.concertId})`}
          </option>
        ))}
      </select>
    </label>
  );
}

function QueuePanel({ concertId }: { concertId: string }) {
  const tx = t();
  const auth = bearer(session.value!.token);
  const [figures, setFigures] = useState<Figures | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [pollError, setPollError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [form, setForm] = useState<Record<SettingName, string> | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [updated, setUpdated] = useState<number | null>(null);

  /**
   * A reading: the figures; a poll's reading is also one more chart sample (a save's is
   * not, so the bars stay per poll interval). The form is filled from the first reading
   * and after a save, never while being typed in.
   */
  const show = (f: Figures, fromSave: boolean) => {
    const at = Date.now();
    setFigures(f);
    setUpdated(at);
    if (!fromSave) setSamples((all) => [...all.filter((x) => x.at >= at - CHART_WINDOW_MS), nextSample(all.at(-1), f, at)]);
    const filled = Object.fromEntries(SETTINGS.map((k) => [k, String(f.settings[k])])) as Record<SettingName, string>;
    setForm((cur) => (fromSave || !cur ? filled : cur));
  };

  usePoll(async () => {
    try {
      show(await unwrap(api.GET('/v1/admin/concerts/{concertId}/queue', { params: { path: { concertId } }, headers: auth })), false);
      setPollError(null);
    } catch (err) {
      setPollError(err as ApiError);
      if ((err as ApiError).retryAfterMs) return (err as ApiError).retryAfterMs!;
    }
    return FIGURES_POLL_MS;
  }, [concertId]);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setSaved(false);
    setActionError(null);
    try {
      const body = Object.fromEntries(SETTINGS.map((k) => [k, Number(form[k])])) as Record<SettingName, number>;
      show(await unwrap(api.PATCH('/v1/admin/concerts/{concertId}/queue', { params: { path: { concertId } }, body, headers: auth })), true);
      setSaved(true);
    } catch (err) {
      setActionError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const s = figures?.settings;
  return (
    <>
      <ErrorBox error={actionError ?? pollError} />
      <div class="admin-grid">
        <section class="card" aria-labelledby="live-figures">
          <h2 id="live-figures">{tx.liveFigures}</h2>
          <dl class="figures" aria-live="polite">
            <dt>{tx.waiting}</dt>
            <dd class="big" data-testid="admin-waiting">
              {figures ? figures.waiting : '…'}
            </dd>
            <dt>{tx.active}</dt>
            <dd>
              <span class="big" data-testid="admin-active">
                {figures ? figures.active : '…'}
              </span>
              {s && <span class="muted small"> / {s.maxActive}</span>}
            </dd>
            <dt>{tx.admittedLastMinute}</dt>
            <dd data-testid="admin-admitted-last-minute">{figures?.admittedLastMinute ?? '…'}</dd>
            <dt>{tx.admittedTotal}</dt>
            <dd data-testid="admin-admitted-total">{figures?.admittedTotal ?? '…'}</dd>
            <dt>{tx.admissionRate}</dt>
            <dd data-testid="admin-rate">{figures?.admissionRatePerSecond !== undefined ? tx.perSecond(rate(figures.admissionRatePerSecond)) : '…'}</dd>
          </dl>
          {updated && <p class="muted small">{tx.updatedAt(clock(updated))}</p>}
          <AdmissionsChart samples={samples} now={updated ?? Date.now()} />
        </section>
        <section class="card" aria-labelledby="queue-settings">
          <h2 id="queue-settings">{tx.settings}</h2>
          {form && (
            <form onSubmit={save}>
              {SETTINGS.map((k) => (
                <label key={k}>
                  {tx[k]}
                  <input
                    type="number"
                    inputMode="numeric"
                    min={k === 'maxActive' ? 0 : 1}
                    step={1}
                    required
                    data-testid={`setting-${k}`}
                    value={form[k]}
                    onInput={(e) => {
                      const v = e.currentTarget.value;
                      setSaved(false);
                      setForm((cur) => ({ ...cur!, [k]: v }));
                    }}
                  />
                </label>
              ))}
              <div class="actions">
                <button type="submit" class="primary" data-testid="save-settings" disabled={busy}>
                  {tx.save}
                </button>
                {saved && (
                  <span role="status" data-testid="settings-saved">
                    {tx.saved}
                  </span>
                )}
              </div>
            </form>
          )}
        </section>
      </div>
    </>
  );
}

function CreateConcert() {
  const tx = t();
  const { route } = useLocation();
  const [fields, setFields] = useState({ concertId: '', name: '', venue: '', date: '', seats: '50', price: '50000' });
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof fields) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setFields((f) => ({ ...f, [k]: v }));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const body = {
        concertId: fields.concertId.trim(),
        name: fields.name.trim(),
        ...(fields.venue.trim() ? { venue: fields.venue.trim() } : {}),
        dates: [{ date: fields.date, seats: Number(fields.seats), price: Number(fields.price) }],
      };
      const { concertId } = await unwrap(api.POST('/v1/admin/concerts', { body, headers: bearer(session.value!.token) }));
      setCreated(concertId);
      route(`/admin/${encodeURIComponent(concertId)}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const field = (k: keyof typeof fields, label: string, extra: Record<string, unknown>) => (
    <label>
      {label}
      <input data-testid={`create-${k}`} value={fields[k]} onInput={set(k)} {...extra} />
    </label>
  );
  return (
    <section class="card" aria-labelledby="create-concert">
      <h2 id="create-concert">{tx.createConcert}</h2>
      <form onSubmit={submit} class="create-form">
        {field('concertId', tx.concertId, { required: true, maxLength: 64, autocomplete: 'off', spellcheck: false })}
        {field('name', tx.concertName, { required: true })}
        {field('venue', tx.venue, {})}
        {field('date', tx.date, { required: true, type: 'date' })}
        {field('seats', tx.seats, { required: true, type: 'number', min: 1, step: 1, inputMode: 'numeric' })}
        {field('price', tx.price, { required: true, type: 'number', min: 1, step: 1, inputMode: 'numeric' })}
        <div class="actions">
          <button type="submit" class="primary" data-testid="create-concert" disabled={busy}>
            {tx.create}
          </button>
          {created && (
            <span role="status" data-testid="create-result">
              {tx.created(created)}
            </span>
          )}
        </div>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}

export function Admin({ concertId }: { concertId?: string }) {
  const tx = t();
  if (!session.value?.admin) {
    return (
      <section class="card narrow">
        <h1>{tx.adminTitle}</h1>
        <p data-testid="admin-needs-admin">{tx.adminNeedsAdmin}</p>
        <button type="button" class="primary" onClick={() => signOut()}>
          {tx.signInAsAdmin}
        </button>
      </section>
    );
  }
  return (
    <section>
      <h1>{tx.adminTitle}</h1>
      <ConcertPicker concertId={concertId} />
      {concertId && <QueuePanel key={concertId} concertId={concertId} />}
      <CreateConcert />
    </section>
  );
}
