import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, screenshot, startDashboardServer, SIZES, type DashboardServerOptions } from '../helpers/browser.js';
import { chromiumForDescribe, openPage, signInThroughDevForm } from '../helpers/web-pig-page.js';
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
    day: /15 recibidos = 9 completados \+ 2 ignorados \+ 1 fallido \+ 3 en curso/,
    ignored: /^2 .*2 · no aplican a su flujo$/,
    deadTotal: /^2 .* 2 fallidos en total$/,
    deadTotalOne: /^1 Fallido sin atender 2 fallidos en total$/,
    rejectedOne: /^1 Entrega rechazada hoy 1 · ePayco No se guardaron\. .* 2 esta semana$/,
    mxn: /^MXN MXN\s2\.300,50 2 pagos$/,
    // What happens to them next, and when the nearest retry is due (08:05 in Bogotá, the clock's 08:00 + 5 min).
    retrying: /^1 Reintentando se reintentan solos próximo intento 15\/01, 08:05 a\. m\.$/,
    payment: 'pago',
    payments: 'pagos',
    help: [
      'Recibido = facturado + completado con etapas apagadas + atascado + atendido a mano + en proceso + ignorado.',
      'no se restan de lo recibido',
    ],
    chipStagesOff: 'Con etapas apagadas',
    apart: 'aparte: no se resta',
    ignoredTitle: /^No aplica/,
  },
  en: {
    title: 'What needs attention',
    handledBy: 'Marked as handled by',
    because: 'reason:',
    reason: 'Refunded by hand on Jan 15',
    missing: 'Write how this event was handled.',
    day: /15 received = 9 done \+ 2 ignored \+ 1 failed \+ 3 in flight/,
    ignored: /^2 .*2 · not applicable to their pipeline$/,
    deadTotal: /^2 .* 2 failed in all$/,
    deadTotalOne: /^1 Failed, not handled 2 failed in all$/,
    rejectedOne: /^1 Delivery refused today 1 · ePayco Not stored\. .* 2 this week$/,
    mxn: /^MXN MX\$2,300\.50 2 payments$/,
    retrying: /^1 Retrying retried on their own next attempt at Jan 15, 08:05$/,
    payment: 'payment',
    payments: 'payments',
    help: [
      'Received = invoiced + done with stages switched off + stuck + handled by hand + in progress + ignored.',
      'not subtracted from received',
    ],
    chipStagesOff: 'With stages switched off',
    apart: 'apart: not subtracted',
    ignoredTitle: /^Not applicable/,
  },
} as const;

/** The API tests' pipeline, the server's clock at HOME_NOW (a fresh server each test: the data set's counts from nothing). */
const HOME_SERVER: DashboardServerOptions = {
  columns: COLUMNS,
  flags: FLAGS,
  pipelines: [PIPELINE],
  sources: SOURCES,
  // The clock stands in January 2026: a session that long keeps its cookie alive in today's browser.
  auth: { ...AUTH, sessionTtlMs: 5 * 365 * 24 * 3600_000 },
  signIn: { kind: 'dev' },
  now: () => HOME_NOW,
};

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).innerText()).replace(/\s+/g, ' ');

describe('Web Pig home and charts (Chromium, both sizes, both languages)', { skip }, () => {
  const chromium = chromiumForDescribe();

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      const name = `home-${size}-${language}`;
      test(`${size}, ${language}: counts and money of the data set; a dead event pinned until marked as handled; charts drawn`, async () => {
        const server = await startDashboardServer(HOME_SERVER);
        const { page, seen, close } = await openPage(chromium.browser, { language, size });
        try {
          const fixture = await seedHomeData(server.store);
          await page.goto(server.baseUrl);
          await signInThroughDevForm(page, OPERATOR);

          // Signed in, the home comes first.
          await page.getByTestId('home').waitFor();
          assert.equal(await page.locator('.home h2').first().textContent(), words.title);
          assert.match((await text(page, 'count-dead')).trim(), words.deadTotal);
          // A second line as the other cards have: what happens to them next.
          assert.match((await text(page, 'count-retrying')).trim(), words.retrying);
          assert.match(await text(page, 'count-processing'), /^1 .* 1 /);
          // The card names each reason in a few words; the events table's sentence is its title.
          assert.match((await text(page, 'count-ignored')).trim(), words.ignored);
          assert.match((await page.getByTestId('count-ignored').locator('li').getAttribute('title')) ?? '', words.ignoredTitle);
          assert.match((await text(page, 'count-rejected')).trim(), words.rejectedOne);
          // Every line of the money: received, and what it is made of; reversals apart; other currencies by name.
          // Amounts in the page's language's digits: 449.000 in Spanish, 449,000 in English.
          const digits = (amount: string) => (language === 'es' ? amount : amount.replace(/\./g, ','));
          const one = (amount: string) => `${digits(amount)} 1 ${words.payment}`;
          const many = (amount: string, n: number) => `${digits(amount)} ${n} ${words.payments}`;
          const money: Array<[string, string]> = [
            ['money-today-received', many('449.000', 7)],
            ['money-today-invoiced', one('250.000')],
            ['money-today-stages-off', one('80.000')],
            ['money-today-stuck', many('109.000', 2)],
            ['money-today-in-progress', many('8.000', 2)],
            ['money-today-ignored', one('2.000')],
            ['money-today-reversed', one('60.000')],
            ['money-week-received', many('1.489.123', 10)],
            ['money-week-stuck', many('149.000', 3)],
          ];
          for (const [testId, expected] of money)
            assert.ok((await text(page, testId)).includes(expected), `${testId}: ${await text(page, testId)}`);
          assert.equal(await page.getByTestId('money-today-handled').count(), 0, 'no line for what nobody handled by hand');
          assert.ok((await text(page, 'money-today')).includes(words.apart));
          assert.match((await text(page, 'money-today-other-MXN')).trim(), words.mxn);
          assert.match(await text(page, 'money-today-other-USD'), new RegExp(`^USD .*30.* 1 ${words.payment}$`));
          assert.match(await text(page, 'money-today-other-none'), new RegExp(` 1 ${words.payment}$`));
          const pinned = page.getByTestId(`pinned-${fixture.dead.id}`);
          await pinned.waitFor();
          assert.equal(await page.getByTestId(`pinned-${fixture.deadEarlier.id}`).count(), 1);
          await page.getByTestId('home-help').locator('summary').click();
          for (const sentence of words.help) assert.ok((await text(page, 'home-help')).includes(sentence), sentence);
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
          assert.match((await text(page, 'count-dead')).trim(), words.deadTotalOne);
          // Handled by hand: out of stuck, on its own line; received unchanged.
          await page.getByTestId('money-today-handled').waitFor();
          assert.ok((await text(page, 'money-today-handled')).includes(one('99.000')));
          assert.ok((await text(page, 'money-today-stuck')).includes(one('10.000')));
          assert.ok((await text(page, 'money-today-received')).includes(many('449.000', 7)));
          await screenshot(page, `${name}-2b-after-handled`);
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

          // A count opens the events list with its filter, in the address: exactly what it counts.
          const rows = () =>
            page
              .locator('table.events tbody tr')
              .evaluateAll((trs) => trs.map((row) => Number(row.getAttribute('data-event-id'))).sort((a, b) => a - b));
          const opens = async (testId: string, expected: number[], locator = page.getByTestId(testId)) => {
            await page.goto(server.baseUrl);
            await page.getByTestId('home').waitFor();
            await (testId.startsWith('money') ? locator.locator('a').first() : locator).click();
            await page.waitForFunction((n) => document.querySelectorAll('table.events tbody tr').length === n, expected.length);
            assert.deepEqual(
              await rows(),
              [...expected].sort((a, b) => a - b),
              testId,
            );
            return new URL(page.url()).searchParams;
          };
          const received = await server.store.listEvents({
            transactionStatus: 'accepted',
            currency: 'COP',
            since: new Date('2026-01-15T05:00:00Z'),
          });
          assert.equal(received.items.length, 7);
          const search = await opens(
            'money-today-received',
            received.items.map((e) => e.id),
          );
          assert.equal(search.get('currency'), 'COP');
          await opens('count-dead', [fixture.deadEarlier.id]);
          assert.equal(new URL(page.url()).search, '?status=dead&handled=false');
          await opens('money-today-handled', [fixture.dead.id]);
          await opens('money-today-in-progress', [fixture.running.id, fixture.queued.id]);
          await opens('money-today-reversed', [fixture.reversed.id]);
          await opens(
            'money-today-other-MXN',
            fixture.mxn.map((e) => e.id),
          );
          await opens('money-today-stages-off', [fixture.stagesOff.id]);
          // The list says which filters the figure added, each removable.
          assert.equal((await page.getByTestId('filter-chip-stagesOff').innerText()).replace('×', '').trim(), words.chipStagesOff);
          assert.equal(
            (await page.getByTestId('filter-chip-currency').innerText()).replace('×', '').trim(),
            language === 'es' ? 'Moneda: COP' : 'Currency: COP',
          );
          await screenshot(page, `${name}-3b-stages-off-list`);
          await page.getByTestId('filter-chip-stagesOff').locator('button').click();
          await page.waitForFunction(() => !new URL(location.href).searchParams.has('stagesOff'));

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
          await close();
          await server.close();
        }
      });
    }
  }

  // With nothing to count, every card's 0 reads alike, grey: the refused deliveries' card once kept its 0 in black.
  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: with nothing to count, every card shows its 0 in the same grey`, async () => {
      const server = await startDashboardServer(HOME_SERVER);
      const { page, close } = await openPage(chromium.browser, { language, size });
      try {
        await page.goto(server.baseUrl);
        await signInThroughDevForm(page, OPERATOR);
        await page.getByTestId('count-rejected').waitFor();
        const cards = await page
          .getByTestId('home-counts')
          .locator('.count-card')
          .evaluateAll((found) =>
            found.map((card) => {
              const value = card.querySelector('.count-value');
              return {
                testId: card.getAttribute('data-testid'),
                text: value?.textContent,
                zero: card.classList.contains('count-zero'),
                color: value ? getComputedStyle(value).color : null,
              };
            }),
          );
        assert.ok(
          cards.some((card) => card.testId === 'count-rejected'),
          JSON.stringify(cards),
        );
        for (const card of cards) assert.deepEqual([card.testId, card.text, card.zero], [card.testId, '0', true]);
        assert.equal(new Set(cards.map((card) => card.color)).size, 1, `one colour for every 0: ${JSON.stringify(cards)}`);
        await screenshot(page, `home-${size}-${language}-0-nothing-to-count`);
      } finally {
        await close();
        await server.close();
      }
    });
  }
});
