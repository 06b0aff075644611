/**
 * Phase 4: over HTTP through serverless-offline (in-process mode): the status endpoint
 * next to the no-op endpoint (GET /v1/health) in the same run, same load generator
 * (autocannon, 50 connections). The ratio says what the service adds on top of what
 * serverless-offline itself costs.
 *
 * The stack runs with the product's poll limit (a poll sooner than half the pollAfterMs
 * it was told gets 429), so the crowd polls as told: the paused concert drops a silent
 * waiter after 3 s, which makes everyone's pollAfterMs one second (a third of that, at
 * the MIN_POLL_MS floor), and autocannon cycles through enough tokens that each one is
 * polled between about 0.6 and 3 s apart at the rates this phase reaches. `non2xx` says
 * whether any polite poll was refused.
 */
import autocannon from 'autocannon';
import type { BenchContext } from '../context';
import { progress } from '../progress';
import { round } from '../stats';

async function cannon(label: string, url: string, durationS: number, headersFor: (i: number) => Record<string, string>) {
  const bar = progress(label, durationS);
  const started = Date.now();
  const tick = setInterval(() => bar.update((Date.now() - started) / 1000), 500);
  let i = 0;
  const result = await autocannon({
    url,
    connections: 50,
    duration: durationS,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headersFor(i++) } }) }],
  });
  clearInterval(tick);
  bar.stop();
  return {
    requestsPerSecond: round(result.requests.average, 0),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export async function httpStatusVsNoop(ctx: BenchContext, o: { users: number; durationS: number }) {
  const concertId = 'bench-http';
  await ctx.app.catalog.createConcert({ concertId, name: concertId, dates: [{ date: '2027-12-01', totalSeats: 50, price: 1000, priceTiers: [] }] });
  await ctx.app.waitingRoom.configure(concertId, { maxActive: 0, abandonAfterSeconds: 3 });
  const tickets = await Promise.all(
    Array.from({ length: o.users }, async (_, i) => {
      const userId = `http-${i}`;
      const jwt = await ctx.app.identity.issueDevToken(userId, false);
      const res = await ctx.invoke(ctx.handlers.enter, { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, body: { concertId } });
      return { authorization: `Bearer ${jwt}`, 'x-queue-token': res.body.token as string };
    }),
  );
  const base = ctx.stack.baseUrl;
  // Warm both functions up (first invocation loads the bundle).
  await fetch(`${base}/v1/health`);
  await fetch(`${base}/v1/queue/status`, { headers: tickets[0] });
  // Status first, while every token was seen within the abandonment time.
  const status = await cannon('4. GET /v1/queue/status, HTTP', `${base}/v1/queue/status`, o.durationS, (i) => tickets[(i * 7919) % tickets.length]!);
  const noop = await cannon('4. GET /v1/health (no-op), HTTP', `${base}/v1/health`, o.durationS, () => ({}));
  return {
    connections: 50,
    noop,
    status,
    statusToNoopRatio: round(status.requestsPerSecond / noop.requestsPerSecond, 3),
    goal: 'status >= 0.6 of the no-op rate',
  };
}
