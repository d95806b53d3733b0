import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, confineToLocalhost, launchBrowser, screenshot, startDashboardServer, watchPage } from '../helpers/browser.js';
import { COLUMNS, FLAGS, PIPELINE } from '../server/api-harness.js';
import { HOME_NOW, seedHomeData } from '../server/api-home-cases.js';
import { AUTH, OPERATOR, SOURCES } from './fixtures.js';

/**
 * The home and the metrics charts in real Chromium at desktop and phone sizes, in both
 * languages, on the API tests' data set (test/server/api-home-cases.ts) with the server's clock
 * at 08:00 in Bogotá: the counts and money of that data, a dead event pinned until it is marked
 * as handled with a reason, the reason in its history, and charts drawn on a canvas.
 */

const skip = browserSkip();

const WORDS = {
  es: {
    title: 'Lo que necesita atención',
    handledBy: 'Marcado como atendido por',
    because: 'motivo:',
    reason: 'Reembolsado a mano el 15/01',
    missing: 'Escriba cómo se atendió este evento.',
    day: /8 recibidos = 4 completados \+ 1 ignorados \+ 1 fallidos \+ 2 en curso/,
    ignored: /^1 .*1 · no aplican a su flujo$/,
    ignoredTitle: /^No aplica/,
  },
  en: {
    title: 'What needs attention',
    handledBy: 'Marked as handled by',
    because: 'reason:',
    reason: 'Refunded by hand on Jan 15',
    missing: 'Write how this event was handled.',
    day: /8 received = 4 done \+ 1 ignored \+ 1 failed \+ 2 in flight/,
    ignored: /^1 .*1 · not applicable to their pipeline$/,
    ignoredTitle: /^Not applicable/,
  },
} as const;

const SIZES = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } } as const;

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).innerText()).replace(/\s+/g, ' ');

describe('Web Pig home and charts (Chromium, both sizes, both languages)', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      const name = `home-${size}-${language}`;
      test(`${size}, ${language}: counts and money of the data set; a dead event pinned until marked as handled; charts drawn`, async () => {
        const server = await startDashboardServer({
          columns: COLUMNS,
          flags: FLAGS,
          pipelines: [PIPELINE],
          sources: SOURCES,
          // The clock stands in January 2026: a session that long keeps its cookie alive in today's browser.
          auth: { ...AUTH, sessionTtlMs: 5 * 365 * 24 * 3600_000 },
          signIn: { kind: 'dev' },
          now: () => HOME_NOW,
        });
        const context = await browser.newContext({ locale: language === 'es' ? 'es-CO' : 'en-US', viewport: SIZES[size] });
        try {
          const fixture = await seedHomeData(server.store);
          await confineToLocalhost(context);
          const page = await context.newPage();
          const seen = watchPage(page);
          await page.goto(server.baseUrl);
          const form = page.getByTestId('dev-login');
          await form.waitFor();
          await form.locator('input[name="email"]').fill(OPERATOR);
          await form.locator('button[type="submit"]').click();

          // Signed in, the home comes first.
          await page.getByTestId('home').waitFor();
          assert.equal(await page.locator('.home h2').first().textContent(), words.title);
          assert.match(await text(page, 'count-dead'), /^2 /);
          assert.match(await text(page, 'count-retrying'), /^1 /);
          assert.match(await text(page, 'count-processing'), /^0 .* 1 /);
          // The card names each reason in a few words; the events table's sentence is its title.
          assert.match((await text(page, 'count-ignored')).trim(), words.ignored);
          assert.match((await page.getByTestId('count-ignored').locator('li').getAttribute('title')) ?? '', words.ignoredTitle);
          assert.match(await text(page, 'count-rejected'), /^1 .* 2 /);
          assert.match(await text(page, 'money-today-received'), /364\.000 4 /);
          assert.match(await text(page, 'money-today-invoiced'), /250\.000 1 /);
          assert.match(await text(page, 'money-today-stuck'), /109\.000 2 /);
          assert.match(await text(page, 'money-week-received'), /1\.404\.123 7 /);
          assert.match(await text(page, 'money-week-stuck'), /149\.000 3 /);
          const pinned = page.getByTestId(`pinned-${fixture.dead.id}`);
          await pinned.waitFor();
          assert.equal(await page.getByTestId(`pinned-${fixture.deadEarlier.id}`).count(), 1);
          await page.getByTestId('home-help').locator('summary').click();
          await screenshot(page, `${name}-1-home`);
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
          }

          // Mark as handled: a reason is required; then the event leaves the pinned list.
          await pinned.getByTestId('mark-handled').click();
          await page.getByTestId('confirm-button').click();
          assert.equal(await page.getByTestId('reason-missing').textContent(), words.missing);
          await page.getByTestId('confirm-reason').fill(words.reason);
          await screenshot(page, `${name}-2-mark-handled`);
          await page.getByTestId('confirm-button').click();
          await pinned.waitFor({ state: 'detached' });
          await page.getByTestId('count-dead').filter({ hasText: /^\s*1/ }).waitFor();
          const audit = (await server.store.listAudit({ action: 'event.handled' })).items;
          assert.deepEqual(
            audit.map((entry) => [entry.actor, entry.target, entry.details]),
            [[OPERATOR, `event:${fixture.dead.id}`, { reason: words.reason }]],
          );

          // The reason is in the event's history.
          await page.goto(`${server.baseUrl}/events/${fixture.dead.id}`);
          const panel = page.getByTestId('details-panel');
          await panel.locator('.logs', { hasText: words.reason }).waitFor();
          // In the page's language, whatever language the stored line is in.
          assert.match(
            (await panel.locator('.logs').textContent()) ?? '',
            new RegExp(`${words.handledBy} ${OPERATOR.replace('.', '\\.')} — ${words.because} ${words.reason}`),
          );
          await screenshot(page, `${name}-3-history`);

          // A count opens the events list with its filter, in the address.
          await page.goto(server.baseUrl);
          await page.getByTestId('count-dead').click();
          // Both dead events (a handled one stays dead), and nothing else.
          await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 2);
          assert.deepEqual(
            await page
              .locator('table.events tbody tr')
              .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-event-id'))).sort((a, b) => a - b)),
            [fixture.dead.id, fixture.deadEarlier.id].sort((a, b) => a - b),
          );
          assert.equal(new URL(page.url()).search, '?status=dead');

          // Metrics: the day adds up, and both charts are drawn.
          await page.locator('a[href="#/metrics"]').click();
          await page.getByTestId('metrics').waitFor();
          assert.match(await text(page, 'metrics-day'), words.day);
          for (const chart of ['chart-throughput', 'chart-durations']) {
            const canvas = page.getByTestId(chart).locator('canvas');
            await canvas.waitFor();
            const box = await canvas.boundingBox();
            assert.ok(box && box.width > 200 && box.height > 100, `${chart} canvas ${JSON.stringify(box)}`);
          }
          assert.equal(await page.locator('[data-testid="stage-metrics"] tbody tr').first().getAttribute('data-stage'), 'crm_upsert');
          await screenshot(page, `${name}-4-metrics`);
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `metrics fit a phone (page is ${width}px wide)`);
          }
          assert.deepEqual([seen.errors, seen.dialogs], [[], []]);
        } finally {
          await context.close();
          await server.close();
        }
      });
    }
  }
});
