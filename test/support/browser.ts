/**
 * The browser tests' harness (test/web): real Chromium (Debian's, driven by
 * playwright-core; CHROMIUM_PATH overrides where it is) against the stack the global
 * setup started, with the Vite build served by `vite preview` and /v1 proxied to
 * serverless-offline, as `npm start` does. `useBrowser()` starts both for a test file
 * and watches every page it opens for page errors, console errors and rate-limited polls.
 */
import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../infra/local/processes';
import { projectDir } from '../../infra/local/stack';
import { startWeb, type RunningWeb } from '../../infra/local/web';
import { baseUrl } from './api';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How long a page may take to show what a test waits for (a wait, never an assertion on time). */
export const UI_TIMEOUT = 20_000;

export interface BrowserHarness {
  /** The web server's base URL. */
  readonly url: string;
  /** What went wrong on any page of this file (page errors, console errors, 429s). */
  readonly problems: string[];
  /** A fresh browser profile, watched for problems. */
  newPage(o?: { locale?: string; width?: number }): Promise<{ context: BrowserContext; page: Page }>;
  /** Signs in on the sign-in form with a development token (an admin one with `admin`). */
  signIn(page: Page, userId: string, o?: { admin?: boolean; path?: string }): Promise<void>;
}

/** Serves the web app and launches Chromium for this test file. */
export function useBrowser(): BrowserHarness {
  let browser: Browser | undefined;
  let web: RunningWeb | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (see .ci/run), or set CHROMIUM_PATH`);
    // web/dist is built by the global setup (once: parallel builds collide).
    web = await startWeb({ port: await freePort(), apiUrl: baseUrl() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await web?.child.stop();
  });

  const harness: BrowserHarness = {
    get url() {
      return web!.url;
    },
    problems,
    async newPage(o = {}) {
      const context = await browser!.newContext({ locale: o.locale ?? 'en-US', viewport: { width: o.width ?? 1100, height: 900 } });
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        // Chromium itself logs every 4xx answer as "Failed to load resource"; the refusals
        // the tests provoke (402, 409) are expected and shown on the page instead.
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
      });
      page.on('response', (res) => {
        if (res.status() === 429) problems.push(`rate limited: ${res.request().method()} ${res.url()}`);
        // A server error is never expected here; its body says which dependency and why.
        if (res.status() >= 500) {
          const what = `server error ${res.status()}: ${res.request().method()} ${res.url()}`;
          res.text().then(
            (body) => problems.push(`${what} ${body}`),
            () => problems.push(what),
          );
        }
      });
      page.setDefaultTimeout(UI_TIMEOUT);
      return { context, page };
    },
    async signIn(page, userId, o = {}) {
      await page.goto(`${web!.url}${o.path ?? '/'}`);
      await page.getByTestId('user-id').fill(userId);
      if (o.admin !== undefined) await page.getByTestId('sign-in-admin').setChecked(o.admin);
      await page.getByTestId('sign-in').click();
      await page.getByTestId('sign-out').waitFor();
    },
  };
  return harness;
}

/** Screenshots go to docs/ (for the README) with UPDATE_SCREENSHOTS=1, else to a temp dir. */
export async function screenshot(page: Page, name: string) {
  const dir = process.env.UPDATE_SCREENSHOTS ? join(projectDir, 'docs') : join(tmpdir(), 'concert-ticketing-screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}

export const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).textContent()) ?? '').trim();

/** Waits until the element's text matches; returns it. */
export async function untilText(page: Page, testId: string, pattern: RegExp) {
  await page.getByTestId(testId).filter({ hasText: pattern }).waitFor();
  return text(page, testId);
}

/**
 * Waits until the element shows, or fails at once with the refusal the page shows instead
 * (its code and words), so a failed step says why rather than timing out.
 */
export async function untilShownOrRefused(page: Page, testId: string) {
  const error = page.getByTestId('error');
  await page.getByTestId(testId).or(error).first().waitFor();
  if (await error.isVisible()) throw new Error(`expected ${testId}, the page shows ${await error.getAttribute('data-code')}: ${await text(page, 'error')}`);
}

/** The serious and critical accessibility violations axe-core finds on the page as it is now. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The page's width in CSS pixels (nothing wider than the screen at 375 px). */
export const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');
