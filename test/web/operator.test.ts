/**
 * The operator console at /admin in real Chromium (test/support/browser.ts): an operator
 * signs in with an admin development token, creates a concert with the form, watches its
 * queue live (polled every 2 s), lowers maxActive to 1 while three users arrive (one
 * active, two waiting) and raises it to 3 (all three active), with the figures and the
 * admissions chart following; a user without the admin claim is told what is needed.
 * axe-core finds no serious or critical violation (English, and Korean at 375 px); no
 * page logs an error.
 */
import { api, asAdmin, givenUsers, uniqueId } from '../support/api';
import { screenshot, scrollWidth, seriousA11yViolations, text, untilText, useBrowser } from '../support/browser';

const web = useBrowser();

it('creates a concert, shows its queue live and changes maxActive, with the live figures following', async () => {
  const { page } = await web.newPage();
  await web.signIn(page, uniqueId('ops'), { admin: true, path: '/admin' });
  await page.getByTestId('nav-admin').waitFor();

  // A new concert, through the form: the console switches to it.
  const concertId = uniqueId('console');
  await page.getByTestId('create-concertId').fill(concertId);
  await page.getByTestId('create-name').fill('Console test');
  await page.getByTestId('create-venue').fill('Olympic Hall');
  await page.getByTestId('create-date').fill('2027-06-01');
  await page.getByTestId('create-seats').fill('20');
  await page.getByTestId('create-price').fill('40000');
  await page.getByTestId('create-concert').click();
  await page.waitForURL(`**/admin/${concertId}`);
  expect(await untilText(page, 'create-result', new RegExp(concertId))).toBe(`Created ${concertId}.`);
  expect(await page.getByTestId('admin-concert').inputValue()).toBe(concertId);
  expect(await untilText(page, 'admin-waiting', /^\d+$/)).toBe('0');
  expect(await text(page, 'admin-active')).toBe('0');

  // One slot only.
  await page.getByTestId('setting-maxActive').fill('1');
  await page.getByTestId('save-settings').click();
  await page.getByTestId('settings-saved').waitFor();
  expect((await api('GET', `/v1/admin/concerts/${concertId}/queue`, { token: await asAdmin() })).body.settings.maxActive).toBe(1);

  // Three users arrive: one is admitted, two wait; the console shows it by itself.
  for (const user of await givenUsers(3, 'console')) {
    expect((await api('POST', '/v1/queue/tokens', { token: user.token, body: { concertId } })).status).toBe(201);
  }
  expect(await untilText(page, 'admin-active', /^1$/)).toBe('1');
  expect(await untilText(page, 'admin-waiting', /^2$/)).toBe('2');
  expect(await untilText(page, 'admin-admitted-total', /^\d+$/)).toBe('1');

  // Two more slots: the two waiting users are admitted at once, and the figures follow.
  await page.getByTestId('setting-maxActive').fill('3');
  await page.getByTestId('save-settings').click();
  await page.getByTestId('settings-saved').waitFor();
  expect(await untilText(page, 'admin-active', /^3$/)).toBe('3');
  expect(await untilText(page, 'admin-waiting', /^0$/)).toBe('0');
  expect(await untilText(page, 'admin-admitted-total', /^3$/)).toBe('3');
  expect(await untilText(page, 'admin-admitted-last-minute', /^3$/)).toBe('3');
  // The chart is drawn from the polled totals: a bar per poll interval, the admissions a rate above zero.
  const chart = page.locator('[data-testid="admin-chart"]:not([data-peak="0"])');
  await chart.waitFor();
  const bars = Number(await chart.getAttribute('data-samples'));
  expect(bars).toBeGreaterThanOrEqual(1);
  expect(await chart.locator('rect.bar').count()).toBe(bars);
  expect(Number(await chart.getAttribute('data-peak'))).toBeGreaterThan(0);
  // The form keeps what was saved, and the polls keep the figures coming.
  expect(await page.getByTestId('setting-maxActive').inputValue()).toBe('3');

  expect(await seriousA11yViolations(page)).toEqual([]);
  await screenshot(page, 'web-admin.png');

  // Korean, on a 375 px phone: the same console, nothing wider than the screen.
  const phone = await web.newPage({ locale: 'ko-KR', width: 375 });
  await web.signIn(phone.page, uniqueId('ops-ko'), { admin: true, path: `/admin/${concertId}` });
  expect(await untilText(phone.page, 'admin-active', /^3$/)).toBe('3');
  await phone.page.getByTestId('setting-maxActive').waitFor();
  expect(await phone.page.locator('h1').textContent()).toBe('운영자 콘솔');
  expect(await scrollWidth(phone.page)).toBeLessThanOrEqual(375);
  expect(await seriousA11yViolations(phone.page)).toEqual([]);

  expect(web.problems).toEqual([]);
});

it('tells a user without the admin claim that the console needs an operator sign-in', async () => {
  const { page } = await web.newPage();
  await web.signIn(page, uniqueId('not-ops'), { admin: false, path: '/admin' });
  expect(await untilText(page, 'admin-needs-admin', /admin token/)).toBe('The operator console needs an admin token: sign in as an operator.');
  expect(await page.getByTestId('nav-admin').count()).toBe(0);
  expect(await page.getByTestId('admin-concert').count()).toBe(0);
  expect(web.problems).toEqual([]);
});
