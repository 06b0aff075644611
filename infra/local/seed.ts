/**
 * The demo concert of `npm start`, created through the admin API (the same code path
 * an operator uses), with a development admin token.
 */
export const DEMO_CONCERT = {
  concertId: 'demo-concert',
  name: 'Demo Night (local)',
  venue: 'Local Arena',
  dates: [0, 1, 2].map((i) => ({
    date: new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 10 + i)).toISOString().slice(0, 10),
    seats: 50,
    price: 99_000,
    priceTiers: [{ fromSeat: 1, toSeat: 10, price: 150_000 }],
  })),
};

export async function seedDemoConcert(baseUrl: string): Promise<{ concertId: string; dates: string[] }> {
  const tokenRes = await fetch(`${baseUrl}/v1/dev/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'local-admin', admin: true }),
  });
  const { token } = (await tokenRes.json()) as { token: string };
  const res = await fetch(`${baseUrl}/v1/admin/concerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(DEMO_CONCERT),
  });
  if (res.status !== 201 && res.status !== 409) throw new Error(`seeding the demo concert failed: HTTP ${res.status} ${await res.text()}`);
  return { concertId: DEMO_CONCERT.concertId, dates: DEMO_CONCERT.dates.map((d) => d.date) };
}

/**
 * Resolves once `GET /v1/concerts` at `baseUrl` lists the demo concert with all its dates
 * (the list is cached per container for a few seconds, so a list read before the seed may
 * still be served empty for a moment).
 */
export async function demoConcertListed(baseUrl: string): Promise<boolean> {
  const res = await fetch(`${baseUrl}/v1/concerts`);
  if (res.status !== 200) return false;
  const { concerts } = (await res.json()) as { concerts: { concertId: string; dates: unknown[] }[] };
  const demo = concerts.find((c) => c.concertId === DEMO_CONCERT.concertId);
  return demo?.dates.length === DEMO_CONCERT.dates.length;
}
