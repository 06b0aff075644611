/**
 * The web app in real Chromium (Debian's, driven by playwright-core; CHROMIUM_PATH
 * overrides where it is) against the stack the global setup started: the Vite build is
 * served by `vite preview` with /v1 proxied to serverless-offline, as `npm start` does.
 *
 * One user goes from the concert list through the waiting room (held back by a user who
 * has the only active slot, so the page shows WAITING and moves on by itself when that
 * slot frees) to a seat, sees the hold countdown, is refused payment without balance (in
 * the API's words), tops up, pays and sees the receipt; a second browser sees the seat
 * RESERVED. With one active slot, a second browser waits at position 1 and moves on to
 * booking by itself when the first user pays. A concert opening in seconds shows
 * PRE_QUEUE with a countdown and moves on by itself; two browsers clicking one seat at
 * once get one hold and one clear refusal, and the loser's map shows the seat HELD
 * without a reload. A seat-map refresh that comes back after the payment ended the session
 * leaves the receipt in place. axe-core finds no serious or critical violation on the concert list,
 * the waiting room and the seat map (English, and Korean at 375 px); no page logs an error.
 */
import type { Page, Request } from 'playwright-core';
import { api, charge, devToken, enterAndWaitActive, givenConcert, givenUser, uniqueId } from '../support/api';
import { screenshot, scrollWidth, seriousA11yViolations, text, untilShownOrRefused, untilText, useBrowser } from '../support/browser';

const DATE = '2027-05-01';
const PRICE = 55_000;

const web = useBrowser();
const { problems, newPage } = web;
const signIn = (page: Page, userId: string) => web.signIn(page, userId);

it('takes a user from the concert list through the waiting room to a paid seat, with errors in the API\'s words', async () => {
  const { concertId } = await givenConcert({ dates: [DATE], seats: 20, price: PRICE, holdSeconds: 120, queue: { maxActive: 1, admissionsPerSecond: 100 } });
  // Someone else has the only active slot, so our user has to wait.
  const other = await givenUser('web-other');
  const otherQueueToken = await enterAndWaitActive(other, concertId);

  const { page } = await newPage();
  const userId = uniqueId('web');
  await signIn(page, userId);

  // The concert card with its dates, status and the way in.
  const card = page.getByTestId(`concert-${concertId}`);
  await card.waitFor();
  expect(await card.textContent()).toContain(DATE);
  expect(await card.getByTestId('concert-status').textContent()).toBe('On sale');
  expect(await seriousA11yViolations(page)).toEqual([]);
  await card.getByTestId('enter-queue').click();

  // Waiting: the API's status word, the position and an ETA.
  expect(await untilText(page, 'queue-status', /WAITING/)).toBe('WAITING');
  expect(await untilText(page, 'queue-position', /\d/)).toBe('1');
  expect(await text(page, 'queue-eta')).not.toBe('');
  expect(await seriousA11yViolations(page)).toEqual([]);
  await screenshot(page, 'web-waiting-room.png');

  // The active user leaves: the slot frees and the page moves on by itself.
  const left = await api('DELETE', '/v1/queue/tokens/current', { token: other.token, queueToken: otherQueueToken });
  expect(left.status).toBe(200);
  await page.waitForURL(`**/book/${concertId}`);
  const dateButton = page.getByTestId(`date-${DATE}`);
  await dateButton.waitFor();
  expect(await dateButton.textContent()).toContain('20 seats left');

  // The seat map: buttons with status and accessible names; hold seat 7.
  const seat = page.getByTestId('seat-7');
  expect(await seat.getAttribute('data-status')).toBe('AVAILABLE');
  expect(await seat.getAttribute('aria-label')).toBe('Seat 7, 55,000 won, available');
  await seat.click();
  const countdown = await untilText(page, 'hold-countdown', /^\d\d:\d\d$/);
  const [mm, ss] = countdown.split(':').map(Number);
  expect(mm! * 60 + ss!).toBeGreaterThan(100);
  expect(mm! * 60 + ss!).toBeLessThanOrEqual(120);
  expect(await untilText(page, 'seat-7', /7/)).toBe('7');
  await page.locator('[data-testid="seat-7"][data-status="HELD"]').waitFor();
  expect(await seriousA11yViolations(page)).toEqual([]);
  await screenshot(page, 'web-seat-map.png');

  // Paying without balance: the API's refusal, in its words.
  expect(await untilText(page, 'balance', /won/)).toBe('0 won');
  await page.getByTestId('pay-button').click();
  const error = await untilText(page, 'error', /balance/);
  expect(error).toBe(`Your balance is 0 won; the seat costs ${PRICE} won. Top up ${PRICE} won and try again.`);
  expect(await page.getByTestId('error').getAttribute('data-code')).toBe('INSUFFICIENT_BALANCE');

  // Top up, then pay: the receipt with the payment id.
  await page.getByTestId('topup-amount').fill('60000');
  await page.getByTestId('topup-button').click();
  expect(await untilText(page, 'balance', /60,000/)).toBe('60,000 won');
  await page.getByTestId('pay-button').click();
  await untilShownOrRefused(page, 'receipt');
  const paymentId = await text(page, 'payment-id');
  expect(paymentId).not.toBe('');
  expect(await text(page, 'balance')).toBe('5,000 won');

  // The payment is the user's, as the API records it.
  const { token } = (await api('POST', '/v1/dev/tokens', { body: { userId } })).body;
  const payments = await api('GET', '/v1/payments', { token });
  expect(payments.body.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual([paymentId]);

  await screenshot(page, 'web-receipt.png');

  // A second browser (another user, Korean, a 375 px phone) sees the seat RESERVED.
  const second = await newPage({ locale: 'ko-KR', width: 375 });
  await signIn(second.page, uniqueId('web-second'));
  await second.page.getByTestId(`concert-${concertId}`).getByTestId('enter-queue').click();
  await second.page.waitForURL(`**/book/${concertId}`);
  await second.page.locator('[data-testid="seat-7"][data-status="RESERVED"]').waitFor();
  expect(await second.page.getByTestId('seat-7').getAttribute('aria-label')).toBe('좌석 번호 7, 55,000원, 판매됨');
  expect(await second.page.getByTestId('seat-8').getAttribute('data-status')).toBe('AVAILABLE');
  // Usable at 375 px: nothing wider than the screen.
  expect(await scrollWidth(second.page)).toBeLessThanOrEqual(375);
  expect(await seriousA11yViolations(second.page)).toEqual([]);
  await screenshot(second.page, 'web-booking-ko-375.png');

  expect(problems).toEqual([]);
});

it('keeps a second user waiting at position 1 while the only slot is used, and moves them on by themselves when the first pays', async () => {
  const { concertId } = await givenConcert({ dates: [DATE], seats: 10, price: PRICE, queue: { maxActive: 1, admissionsPerSecond: 100 } });
  const firstId = uniqueId('web-first');
  // The first user has the balance for the seat already (topped up through the API).
  expect((await charge({ userId: firstId, token: await devToken(firstId) }, PRICE)).status).toBe(201);
  const first = await newPage();
  await signIn(first.page, firstId);
  await first.page.goto(`${web.url}/queue/${concertId}`);
  await first.page.waitForURL(`**/book/${concertId}`);

  const second = await newPage();
  await signIn(second.page, uniqueId('web-second'));
  await second.page.goto(`${web.url}/queue/${concertId}`);
  expect(await untilText(second.page, 'queue-status', /WAITING/)).toBe('WAITING');
  expect(await untilText(second.page, 'queue-position', /\d/)).toBe('1');

  // The first user holds seat 2 and pays.
  await first.page.locator('[data-testid="seat-2"][data-status="AVAILABLE"]').click();
  await first.page.getByTestId('hold-countdown').waitFor();
  expect(await untilText(first.page, 'balance', /55,000/)).toBe('55,000 won');
  // Still waiting: the slot is the first user's until they pay.
  expect(await text(second.page, 'queue-status')).toBe('WAITING');
  await first.page.getByTestId('pay-button').click();
  await untilShownOrRefused(first.page, 'receipt');

  // The payment ends the first session and admits the next user: the page moves on by itself.
  await second.page.waitForURL(`**/book/${concertId}`);
  await second.page.locator('[data-testid="seat-2"][data-status="RESERVED"]').waitFor();
  expect(await second.page.getByTestId('seat-3').getAttribute('data-status')).toBe('AVAILABLE');
  expect(problems).toEqual([]);
});

it('shows PRE_QUEUE with a countdown to the opening, then moves on to booking by itself', async () => {
  const opensAt = new Date(Date.now() + 12_000).toISOString();
  const { concertId } = await givenConcert({ dates: [DATE], seats: 10, salesOpenAt: opensAt, preQueueMinutes: 30, queue: { maxActive: 100, admissionsPerSecond: 100 } });
  const { page } = await newPage();
  await signIn(page, uniqueId('web-pre'));
  // Straight to the waiting room (a link anyone can share); the list is cached for seconds.
  await page.goto(`${web.url}/queue/${concertId}`);

  expect(await untilText(page, 'queue-status', /PRE_QUEUE/)).toBe('PRE_QUEUE');
  expect(await untilText(page, 'queue-opens-in', /Opens in 00:[01]\d/)).toMatch(/^Opens in 00:(0\d|1[0-2])$/);
  expect(await text(page, 'queue-message')).toContain('has not opened yet');
  await page.waitForURL(`**/book/${concertId}`, { timeout: 30_000 });
  await page.getByTestId(`date-${DATE}`).waitFor();
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(opensAt));
  expect(problems).toEqual([]);
});

it('two browsers clicking the same seat at once: one holds it, the other sees why and the seat turns HELD', async () => {
  const { concertId } = await givenConcert({ dates: [DATE], seats: 10, queue: { maxActive: 100, admissionsPerSecond: 100 } });
  const pages = await Promise.all(
    [0, 1].map(async (i) => {
      const { page } = await newPage();
      await signIn(page, uniqueId(`web-race${i}`));
      await page.getByTestId(`concert-${concertId}`).getByTestId('enter-queue').click();
      await page.waitForURL(`**/book/${concertId}`);
      await page.locator('[data-testid="seat-3"][data-status="AVAILABLE"]').waitFor();
      return page;
    }),
  );
  await Promise.all(pages.map((p) => p.getByTestId('seat-3').click()));

  const outcome = await Promise.all(
    pages.map((p) =>
      Promise.race([
        p.getByTestId('hold-countdown').waitFor().then(() => 'held' as const),
        p.getByTestId('error').waitFor().then(() => 'refused' as const),
      ]),
    ),
  );
  expect([...outcome].sort()).toEqual(['held', 'refused']);
  const loser = pages[outcome.indexOf('refused')]!;
  expect(await text(loser, 'error')).toBe(`Seat 3 on ${DATE} is not available.`);
  // Without a reload: the map refreshes right after the failed hold.
  await loser.locator('[data-testid="seat-3"][data-status="HELD"]').waitFor({ timeout: 5_000 });
  expect(await loser.getByTestId('seat-3').isDisabled()).toBe(true);
  expect(problems).toEqual([]);
});

it('keeps the receipt when a seat-map refresh sent before the payment comes back after it (the session the payment ended)', async () => {
  const { concertId } = await givenConcert({ dates: [DATE], seats: 10, price: PRICE, queue: { maxActive: 100, admissionsPerSecond: 100 } });
  const userId = uniqueId('web-late');
  expect((await charge({ userId, token: await devToken(userId) }, PRICE)).status).toBe(201);
  const { page } = await newPage();
  await signIn(page, userId);
  await page.goto(`${web.url}/queue/${concertId}`);
  await page.waitForURL(`**/book/${concertId}`);
  await page.locator('[data-testid="seat-4"][data-status="AVAILABLE"]').click();
  await page.getByTestId('hold-countdown').waitFor();
  expect(await untilText(page, 'balance', /55,000/)).toBe('55,000 won');

  // The next refresh of the seat map is held back on its way to the API until the payment
  // has been answered, so the API sees it with the queue token the payment ended.
  let paid!: () => void;
  const paymentAnswered = new Promise<void>((resolve) => (paid = resolve));
  let lateRefresh!: (r: Request) => void;
  const refreshSent = new Promise<Request>((resolve) => (lateRefresh = resolve));
  await page.route('**/seats', async (route) => {
    lateRefresh(route.request());
    await paymentAnswered;
    await route.continue().catch(() => undefined); // the page may have given up on it
  });
  const refresh = await refreshSent;
  await page.getByTestId('pay-button').click();
  await untilShownOrRefused(page, 'receipt');
  paid();

  // The late answer (401 QUEUE_TOKEN_EXPIRED, or none if the page dropped the request) has
  // been through the page's code once the browser has painted twice after it.
  const answer = await refresh.response();
  if (answer) expect(answer.status()).toBe(401);
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  expect(page.url()).toContain(`/book/${concertId}`);
  expect(await page.getByTestId('receipt').isVisible()).toBe(true);
  expect(await page.getByTestId('error').count()).toBe(0);
  expect(problems).toEqual([]);
});
