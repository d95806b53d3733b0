import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { definePipeline, type PipelineDefinition } from '../../src/core/pipeline.js';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { VIEWPORTS, webPigInChromium } from '../helpers/web-pig-page.js';
import { OPERATOR } from './fixtures.js';
import { OP_PIPELINES, OPERATOR_DEMO_SERVER, seedOperatorEvents, seedRun, type OperatorEvents } from './operator-fixtures.js';

/**
 * What the finance reviewer found, in real Chromium at both sizes and in both languages: a dead
 * event marked as handled by hand says so on its row, in its panel (instead of the retry advice),
 * in the bulk retry's preview (left out) and in the audit log (in words); a retrying row says
 * when the next attempt is; skips say why in correct words, a planned skip without a warning;
 * the metrics table on a phone never breaks a word in two.
 */

const skip = browserSkip();

const WORDS = {
  es: {
    handled: 'Atendido a mano',
    handledBy: `Atendido por ${OPERATOR}`,
    whatToDo: 'Qué hacer:',
    nextAttempt: /⟳ próximo intento .+ \(intento 2 de 4\)/,
    bulkHandled: '1 atendido a mano no se incluye',
    audit: 'Marcó un evento como atendido a mano',
    dependencySkipped: 'No se ejecutó porque se omitió la etapa Registro del pedido',
    condition: 'No aplicaba en este caso (condición del flujo): solo se despacha un pedido pagado',
    notFoundNamed: 'El sistema de “Consulta de la factura en FR360” no encontró',
  },
  en: {
    handled: 'Handled by hand',
    handledBy: `Handled by ${OPERATOR}`,
    whatToDo: 'What to do:',
    nextAttempt: /⟳ next attempt at .+ \(attempt 2 of 4\)/,
    bulkHandled: '1 handled by hand is left out',
    audit: 'Marked an event as handled by hand',
    dependencySkipped: 'Not run because this stage was skipped: Order record',
    condition: "Did not apply here (the pipeline's condition): only a paid order is fulfilled",
    notFoundNamed: 'The system behind “FR360 invoice look-up” did not find',
  },
} as const;

/** The demo's long Spanish stage names, which a phone's narrow column used to cut mid-word. */
const ACCOUNTING = definePipeline({
  name: 'accounting',
  label: { es: 'Contabilidad', en: 'Accounting' },
  match: () => false,
  stages: [
    { name: 'invoice_accounting', label: { es: 'Contabilización de la factura', en: 'Invoice accounting' }, run: async () => ({}) },
    { name: 'confirmation_email', label: { es: 'Correo de confirmación', en: 'Confirmation e-mail' }, run: async () => ({}) },
    // A second stage in the "Pedido" column, for a cell with one stage done and one not applying.
    { name: 'gift_wrap', column: 'pedido', label: { es: 'Envoltura de regalo', en: 'Gift wrap' }, run: async () => ({}) },
  ],
});
const PIPELINES: PipelineDefinition[] = [...OP_PIPELINES, ACCOUNTING];

describe('Web Pig after the finance review (Chromium, both sizes, both languages)', { skip }, () => {
  let ids: OperatorEvents;
  let planned = 0;
  let mixedId = 0;

  const web = webPigInChromium({ ...OPERATOR_DEMO_SERVER, pipelines: PIPELINES }, async ({ server }) => {
    ids = await seedOperatorEvents(server.store);
    // A Stripe order that was not paid: nothing to record, so nothing to take from stock.
    planned = (
      await seedRun(server.store, {
        source: 'stripe',
        id: 'st-unpaid',
        customer: 'Rosa Lima',
        amount: 80_000,
        stages: [
          [
            'order_record',
            {
              status: 'skipped',
              skipReason: {
                kind: 'condition',
                detail: 'only a paid order is fulfilled',
                texts: { es: 'solo se despacha un pedido pagado', en: 'only a paid order is fulfilled' },
              },
            },
          ],
          ['stock_take', { status: 'skipped', skipReason: { kind: 'dependency', stage: 'order_record', status: 'skipped' } }],
        ],
        status: 'succeeded',
      })
    ).id;
    // One column, two stages: one done, one that did not apply.
    mixedId = (
      await seedRun(server.store, {
        source: 'stripe',
        id: 'st-mixed',
        customer: 'Tomás Rey',
        amount: 90_000,
        stages: [
          ['order_record', { status: 'success', data: { order: 'O-9' } }],
          ['gift_wrap', { status: 'skipped', skipReason: { kind: 'condition', detail: 'no gift wrap was asked for' } }],
          ['stock_take', { status: 'success', data: { moved: '1' } }],
        ],
        status: 'succeeded',
      })
    ).id;
    // Metrics: runs of the long-named stages (an event of their own).
    await seedRun(server.store, {
      source: 'epayco',
      id: 'fr-accounting',
      customer: 'Eva Ruiz',
      amount: 10_000,
      stages: [
        ['invoice_accounting', { status: 'success', data: { entry: 'A-1' } }],
        ['confirmation_email', { status: 'success', data: { sent: 'yes' } }],
      ],
      status: 'succeeded',
    });
    // Someone refunded the CRM one by hand, through the store as the API does it, and audited.
    assert.equal(
      await server.store.markEventHandled({ eventId: ids.deadCrm, actor: OPERATOR, reason: 'Reembolsado a mano', now: new Date() }),
      'handled',
    );
    await server.store.appendAudit({
      actor: OPERATOR,
      action: 'event.handled',
      target: `event:${ids.deadCrm}`,
      details: { reason: 'Reembolsado a mano' },
      at: new Date(),
    });
  });

  const openPage = (language: 'es' | 'en', size: keyof typeof VIEWPORTS) =>
    web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });

  const text = async (page: Page, selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      const name = `review-${size}-${language}`;

      test(`${size}, ${language}: handled by hand on the row, in the panel, the bulk preview and the audit`, async () => {
        const { page, seen, close } = await openPage(language, size);
        try {
          const row = page.locator(`tr[data-event-id="${ids.deadCrm}"]`);
          await row.waitFor();
          const badge = row.getByTestId('handled-badge');
          assert.equal(((await badge.textContent()) ?? '').trim(), `✓ ${words.handled}`);
          assert.match((await badge.getAttribute('title')) ?? '', new RegExp(`${OPERATOR}.*: Reembolsado a mano$`));
          assert.equal(await page.locator(`tr[data-event-id="${ids.deadStripe}"]`).getByTestId('handled-badge').count(), 0);
          await screenshot(page, `${name}-1-row`);

          await row.locator('a.link').click();
          const panel = page.getByTestId('details-panel');
          await panel.getByTestId('panel-handled').waitFor();
          assert.match(await text(page, '[data-testid="panel-handled"]'), new RegExp(`^${words.handledBy} — Reembolsado a mano`));
          assert.equal(await panel.getByText(words.whatToDo).count(), 0, 'no advice to retry what was settled by hand');
          await screenshot(page, `${name}-2-panel`);
          await page.keyboard.press('Escape');

          await page.getByTestId('bulk-open').click();
          const dialog = page.getByTestId('bulk-dialog');
          await dialog.getByTestId('bulk-preview-button').click();
          await dialog.getByTestId('bulk-excluded-handled').waitFor();
          assert.equal(((await dialog.getByTestId('bulk-excluded-handled').textContent()) ?? '').trim(), words.bulkHandled);
          assert.equal(await dialog.locator(`li[data-event-id="${ids.deadCrm}"]`).count(), 0, 'not in the retry');
          assert.equal(await dialog.locator(`li[data-event-id="${ids.deadStripe}"]`).count(), 1, 'the other dead one is');
          await screenshot(page, `${name}-3-bulk`);
          await page.keyboard.press('Escape');

          await page.goto(`${web.server.baseUrl}/#/audit`);
          const audit = page.getByTestId('audit-list');
          await audit.waitFor();
          // The entry's subject is a link to the event (its text is the event's number in words).
          const entry = audit.locator('li', { has: page.locator(`a[href="/events/${ids.deadCrm}"]`) });
          assert.match((await entry.textContent()) ?? '', new RegExp(words.audit));
          assert.doesNotMatch((await entry.textContent()) ?? '', /event\.handled/);
          await screenshot(page, `${name}-4-audit`);
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });

      test(`${size}, ${language}: the next attempt, skip reasons, the system that failed, metrics words whole`, async () => {
        const { page, seen, close } = await openPage(language, size);
        try {
          const retrying = page.locator(`tr[data-event-id="${ids.retrying}"]`);
          await retrying.waitFor();
          assert.match(((await retrying.getByTestId('next-attempt').textContent()) ?? '').replace(/\s+/g, ' '), words.nextAttempt);

          // A planned skip (condition) and what waited for it: neutral, not the ⚠ of a flag.
          const unpaid = page.locator(`tr[data-event-id="${planned}"]`);
          const cells = unpaid.locator('button.cell[data-state="skipped"]');
          assert.equal(await cells.count(), 2);
          for (const cell of await cells.all()) {
            assert.equal(await cell.getAttribute('data-planned'), 'true');
            assert.doesNotMatch((await cell.textContent()) ?? '', /⚠/);
          }
          // The demo's e-mail column: the confirmation sent, the OXXO voucher not applicable: ✓, not ○ or ⚠.
          const mixed = page.locator(`tr[data-event-id="${mixedId}"] button.cell[data-column="pedido"]`);
          assert.match(((await mixed.textContent()) ?? '').trim(), /^(Pedido)?✓$/);
          assert.equal(await mixed.getAttribute('data-planned'), 'true');
          const flagged = page.locator(`tr[data-event-id="${ids.facturadorOk}"] button.cell[data-state="skipped"]`);
          assert.match((await flagged.first().textContent()) ?? '', /⚠/, 'a flag switched off still warns');
          await screenshot(page, `${name}-5-rows`);

          await unpaid.locator('a.link').click();
          const panel = page.getByTestId('details-panel');
          await panel.locator('section.stage[data-stage="stock_take"]').waitFor();
          assert.equal(await text(page, 'section.stage[data-stage="stock_take"] [data-testid="skip-reason"]'), words.dependencySkipped);
          assert.equal(await text(page, 'section.stage[data-stage="order_record"] [data-testid="skip-reason"]'), words.condition);
          await screenshot(page, `${name}-6-skips`);
          await page.keyboard.press('Escape');

          await page.locator(`tr[data-event-id="${ids.retrying}"] a.link`).click();
          await page.getByTestId('panel-next-attempt').waitFor();
          assert.match(await text(page, '[data-testid="panel-next-attempt"]'), words.nextAttempt);
          await page.keyboard.press('Escape');

          await page.locator(`tr[data-event-id="${ids.deadNoColumn}"] a.link`).click();
          await page.getByTestId('panel-failed-at').waitFor();
          assert.ok((await text(page, '[data-testid="details-panel"] [data-testid="error-explained"]')).startsWith(words.notFoundNamed));
          await screenshot(page, `${name}-7-named`);
          await page.keyboard.press('Escape');

          await page.goto(`${web.server.baseUrl}/#/metrics`);
          const table = page.getByTestId('stage-metrics');
          await table.waitFor();
          await screenshot(page, `${name}-8-metrics`);
          // Every word of the table on one line: a word cut in two has two boxes.
          const broken = await table.evaluate((element) => {
            const cut: string[] = [];
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const value = node.textContent ?? '';
              // (After a hyphen a line may end: "e-" / "mail" is wrapped, not cut.)
              for (const match of value.matchAll(/[^\s-]+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
                if (lines.size > 1) cut.push(match[0]);
              }
            }
            return cut;
          });
          assert.deepEqual(broken, [], 'no word broken across lines');
          if (size === 'phone') {
            // The whole table in view: no column pushed out of its scroll box (the slowest one was).
            const [tableWidth, boxWidth] = await table.evaluate((element) => [
              element.scrollWidth,
              element.parentElement?.clientWidth ?? 0,
            ]);
            assert.ok(tableWidth <= boxWidth, `the stage table fits (${tableWidth}px in ${boxWidth}px)`);
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= VIEWPORTS.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
          }
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });
    }
  }
});
