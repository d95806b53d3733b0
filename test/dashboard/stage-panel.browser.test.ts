import assert from 'node:assert/strict';
import { openSignedIn } from '../helpers/web-pig-page.js';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { facturadorColumns, facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import type { FacturadorStore } from '../../examples/facturador/store.js';
import { browserSkip, launchBrowser, screenshot, startDashboardServer, type DashboardServer } from '../helpers/browser.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';
import { AUTH, OPERATOR } from './fixtures.js';

/**
 * The stage panel of a real Facturador event, in Chromium at desktop and phone sizes, in both
 * languages: WorldOffice refused the invoice once (503) and created it on the retry. The panel
 * shows both attempts' requests and responses with WorldOffice's token redacted, "intentos
 * 2/4", the stages the invoice waits for and those waiting for it, and the table's column
 * labels are in the page's language.
 */

const skip = browserSkip();
const WO_TOKEN = 'wo-live-token-5c1e9';

const WORDS = {
  es: {
    attempts: 'intentos 2/4',
    column: 'Factura',
    otherColumn: 'Invoice',
    attempt: 'Intento',
    waitsFor: 'Espera a',
    customer: 'Cliente en WorldOffice · Exitosa',
  },
  en: {
    attempts: 'attempts 2/4',
    column: 'Invoice',
    otherColumn: 'Factura',
    attempt: 'Attempt',
    waitsFor: 'Waits for',
    customer: 'WorldOffice customer · Success',
  },
} as const;

describe('Web Pig stage panel: what each attempt sent and received (Chromium, both sizes, both languages)', { skip }, () => {
  let server: DashboardServer;
  let harness: FacturadorHarness;
  let browser: Browser;
  let eventId: number;

  before(async () => {
    // The dashboard only reads the definition (names, labels, dependencies, retry policy): the
    // store the payment stage would use is never called through it.
    const definition = facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:9'), store: {} as FacturadorStore });
    server = await startDashboardServer({
      columns: facturadorColumns,
      flags: facturadorFlags,
      pipelines: [{ ...definition, retry: { delaysMs: [0, 0, 0] } }],
      sources: [],
      // The Facturador's flags name a finance role (the seeds' FLAG_PERMISSIONS).
      auth: { ...AUTH, roles: { ...AUTH.roles, finance: { members: [OPERATOR], scopes: ['events:read'] } } },
      signIn: { kind: 'dev' },
    });
    harness = await startFacturadorHarness({
      store: server.store,
      configure: (config) => ({ ...config, worldoffice: { ...config.worldoffice, token: WO_TOKEN } }),
    });
    harness.fault({ service: 'worldoffice', operation: 'create_invoice', mode: 'error', count: 1, status: 503 });
    eventId = await harness.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
    const event = await harness.waitForStatus(eventId, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await server?.close();
  });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      test(`${size}, ${language}: the invoice stage shows its failed and its successful attempt, redacted, with attempts and chain`, async () => {
        const { page, context, seen } = await openSignedIn(browser, server.baseUrl, { language, size, email: OPERATOR, view: 'events' });
        try {
          const row = page.locator(`tr[data-event-id="${eventId}"]`);
          await row.waitFor();

          // Column labels in the page's language: headers on a desktop, each cell's label on a phone.
          const labels = await page.locator('th.stage-head, .chip-label').allInnerTexts();
          const cellLabels = await row
            .locator('td[data-label]')
            .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-label')));
          const shown = [...labels, ...cellLabels].map((label) => (label ?? '').trim());
          assert.ok(shown.includes(words.column), `"${words.column}" among ${shown.join(', ')}`);
          assert.ok(!shown.includes(words.otherColumn), `no "${words.otherColumn}" in ${language}: ${shown.join(', ')}`);
          await screenshot(page, `stagepanel-${size}-${language}-1-table`);

          await row.locator('button[data-column="Factura"]').click();
          const panel = page.getByTestId('details-panel');
          const stage = panel.locator('section.stage[data-stage="worldoffice_invoice_creation"]');
          await stage.waitFor();
          assert.equal((await stage.getByTestId('attempts-of').innerText()).trim(), words.attempts);

          const waitsFor = stage.getByTestId('waits-for');
          assert.match(await stage.getByTestId('stage-chain').innerText(), new RegExp(words.waitsFor));
          assert.ok((await waitsFor.innerText()).includes(words.customer), await waitsFor.innerText());
          assert.equal(
            await waitsFor.locator('[data-stage="fr360_query"]').count(),
            1,
            'the chain goes back through the customer to FR360',
          );
          assert.equal(
            await stage.getByTestId('waited-by').locator('[data-stage="worldoffice_dian_emission"]').count(),
            1,
            'DIAN waits for the invoice',
          );

          const first = stage.locator('details.attempt[data-attempt="1"]');
          const second = stage.locator('details.attempt[data-attempt="2"]');
          assert.match(await first.locator(':scope > summary').innerText(), new RegExp(`${words.attempt} 1`));
          const firstStatuses = await first.getByTestId('exchange-status').allInnerTexts();
          // The stage looks the invoice up by reference (none yet), then creates it: refused.
          assert.deepEqual(
            firstStatuses.map((s) => s.trim()),
            ['→ 200', '→ 503'],
            'the failed attempt: WorldOffice answered 503',
          );
          const secondStatuses = (await second.getByTestId('exchange-status').allInnerTexts()).map((s) => s.trim());
          assert.ok(secondStatuses.includes('→ 201'), `the retry created the invoice: ${secondStatuses.join(', ')}`);
          const firstCall = await first.getByTestId('exchange').nth(1).innerText();
          assert.match(firstCall, /POST/);
          assert.match(firstCall, /\/sandbox\/worldoffice\/invoices/);
          assert.match(firstCall, /authorization\s*\[redacted\]/i);
          assert.match(firstCall, /"reference": "INV-373"/, 'the request body is shown');
          assert.ok(!(await page.content()).includes(WO_TOKEN), 'the token is nowhere in the page');

          await screenshot(page, `stagepanel-${size}-${language}-2-panel`);
          await first.scrollIntoViewIfNeeded();
          await screenshot(page, `stagepanel-${size}-${language}-3-failed-attempt`);
          assert.deepEqual(seen, { dialogs: [], errors: [] });
        } finally {
          await context.close();
        }
      });
    }
  }
});
