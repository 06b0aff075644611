/**
 * The history page and the API reference in real Chromium (test/support/browser.ts): a
 * user's ledger and payments, newest first, ten at a time with "More" following the API's
 * nextCursor; /docs renders Swagger UI over GET /v1/openapi.json, which serves the
 * generated document. axe-core finds no serious or critical violation on the history
 * page; no page logs an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir } from '../../infra/local/stack';
import { api, charge, enterAndWaitActive, givenConcert, givenUser, hold, payFor } from '../support/api';
import { screenshot, seriousA11yViolations, untilText, useBrowser } from '../support/browser';

const web = useBrowser();

it('shows the balance history and the payments, a page at a time', async () => {
  const user = await givenUser('web-history');
  // Eleven top-ups and one payment: twelve ledger entries, more than a page.
  for (let i = 1; i <= 11; i++) expect((await charge(user, i * 1000)).status).toBe(201);
  const { concertId, dates } = await givenConcert({ dates: ['2027-07-01'], seats: 5, price: 30_000 });
  const active = { ...user, queueToken: await enterAndWaitActive(user, concertId) };
  const held = await hold(active, concertId, dates[0]!, 4);
  expect(held.status).toBe(201);
  const paid = await payFor(active, held.body.reservationId);
  expect(paid.status).toBe(201);

  const { page } = await web.newPage();
  await web.signIn(page, user.userId);
  await page.getByTestId('nav-history').click();
  await page.waitForURL('**/history');
  expect(await untilText(page, 'balance', /won/)).toBe('36,000 won');

  const entries = page.getByTestId('history-entry');
  await entries.nth(9).waitFor();
  expect(await entries.count()).toBe(10);
  // Newest first: the payment, then the top-ups from the last one down.
  expect(await entries.first().getAttribute('data-type')).toBe('USE');
  expect(await entries.first().textContent()).toContain('−30,000 won');
  expect(await entries.nth(1).textContent()).toContain('+11,000 won');
  await page.getByTestId('history-more').click();
  await entries.nth(11).waitFor();
  expect(await entries.count()).toBe(12);
  expect(await entries.last().textContent()).toContain('+1,000 won');
  expect(await page.getByTestId('history-more').count()).toBe(0);

  const payments = page.getByTestId('payment-row');
  await payments.first().waitFor();
  expect(await payments.count()).toBe(1);
  expect(await payments.first().getAttribute('data-payment-id')).toBe(paid.body.paymentId);
  expect(await payments.first().textContent()).toContain('2027-07-01 · Seat 4');
  expect(await page.getByTestId('payments-more').count()).toBe(0);

  expect(await seriousA11yViolations(page)).toEqual([]);
  await screenshot(page, 'web-history.png');
  expect(web.problems).toEqual([]);
});

it('serves the OpenAPI document at GET /v1/openapi.json and renders it at /docs', async () => {
  const document = JSON.parse(readFileSync(join(projectDir, 'web', 'openapi', 'openapi.json'), 'utf8'));
  const res = await api('GET', '/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body).toEqual(document);

  // From the app's header to the reference page (a real page load, not an app route).
  const { page } = await web.newPage();
  await page.goto(web.url);
  await page.getByRole('link', { name: 'API reference' }).click();
  await page.waitForURL('**/docs');
  const operations = Object.values(document.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
  await page.locator('.opblock').nth(operations - 1).waitFor();
  expect(await page.locator('.opblock').count()).toBe(operations);
  expect(await page.locator('.opblock-summary-path', { hasText: /^\/v1\/openapi\.json$/ }).count()).toBe(1);
  // The document the page loaded came through the web server's /v1 proxy.
  const fromWeb = await page.evaluate(async () => (await fetch('/v1/openapi.json')).json());
  expect(fromWeb).toEqual(document);
  expect(web.problems).toEqual([]);
});
