/**
 * The capacity model's own rules (docs/capacity.md): the poll schedule it restates, that
 * the crowd it models is conserved and the queue's limits hold, and that the in-process
 * transport finds every route the simulation calls.
 */
import { MIN_POLL_MS, POLL_TIERS, SCARCE_POLL_MS } from '../../../lib/queue/estimates';
import { SIM_BEHAVIOUR as B } from '../crowd';
import { loadRoutes, matchRoute } from '../transport';
import { crowdOfSimulation } from './compare';
import { defaultSimOptions } from '../phases/simulation';
import { ENDPOINTS, predictOpening, preQueuePollTimes, waitingPollMs } from './model';

const simOptions = defaultSimOptions; // the crowd the bench simulates

describe('capacity model', () => {
  test('restates the poll schedule with the product constants', () => {
    const abandonMs = 3_600_000;
    for (const tier of POLL_TIERS.filter((t) => Number.isFinite(t.upToPosition))) {
      expect(waitingPollMs(tier.upToPosition, abandonMs, 0, -1)).toBe(Math.max(MIN_POLL_MS, tier.everyMs));
    }
    const deep = POLL_TIERS[POLL_TIERS.length - 1]!;
    expect(waitingPollMs(1e6, abandonMs, 0, -1)).toBe(deep.everyMs);
    expect(waitingPollMs(1e6, 75_000, 0, -1)).toBe(25_000); // a third of the abandonment timeout
    expect(waitingPollMs(1e6, abandonMs, 0, 200)).toBe(SCARCE_POLL_MS); // fewer seats than people ahead
    expect(waitingPollMs(1_000, abandonMs, 4, -1)).toBe(2_000); // half the expected wait
    expect(waitingPollMs(2, abandonMs, 1, -1)).toBe(MIN_POLL_MS);
    // Pre-queued an hour early: polls about a minute before the opening, then at it.
    const times = preQueuePollTimes(-3600);
    expect(times.length).toBeGreaterThan(0);
    expect(times[times.length - 1]!).toBeLessThan(0);
    expect(-times[times.length - 1]!).toBeLessThanOrEqual(120);
  });

  test('conserves the crowd and keeps the queue limits', () => {
    const { crowd, sale } = crowdOfSimulation(simOptions(5_000));
    const p = predictOpening(crowd, sale);
    const t = p.totals;
    expect(t.requests.enter).toBeCloseTo(5_000, -1);
    expect(t.paid).toBeLessThanOrEqual(sale.totalSeats + 1e-6);
    expect(t.soldOutAtSeconds).not.toBeNull();
    expect(Math.max(...p.timeline.map((r) => r.active))).toBeLessThanOrEqual(sale.maxActive + 1e-6);
    for (const r of p.timeline) expect(r.admitted).toBeLessThanOrEqual(sale.admissionsPerSecond + 1e-6);
    // Everybody ends somewhere: admitted, told SOLD_OUT, refused at entry, or gave up.
    const accounted = t.admissions - t.ghostAdmissions + t.toldSoldOut + t.refusedAtEntry;
    expect(accounted).toBeGreaterThan(5_000 * (1 - B.giveUpShare) - 50);
    expect(accounted).toBeLessThanOrEqual(5_000 + 1);
    // Payers go through balance, top-up and payment once each.
    expect(t.requests.pay).toBeCloseTo(t.requests.balance, 6);
  });

  test('a crowd smaller than the active set never waits', () => {
    const { crowd, sale } = crowdOfSimulation({ ...simOptions(50), preQueueShare: 0, dates: 10, seatsPerDate: 50 });
    const p = predictOpening(crowd, { ...sale, admissionsPerSecond: 1_000 });
    expect(p.totals.requests.status).toBeLessThan(1);
    expect(p.totals.admissions).toBeCloseTo(50, 0);
  });

  test('the in-process transport routes every endpoint the crowd calls', async () => {
    const routes = await loadRoutes();
    const concrete: Record<string, string> = {
      '{concertId}': 'c-1',
      '{date}': '2027-10-01',
      '{reservationId}': 'r-1',
    };
    for (const route of Object.values(ENDPOINTS)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/\{[^}]+\}/g, (p) => concrete[p]!);
      const m = matchRoute(routes, method, path);
      expect(m && `${m.route.method} ${m.route.path}`).toBe(route);
    }
    expect(matchRoute(routes, 'GET', '/v1/nowhere')).toBeUndefined();
  });
});
