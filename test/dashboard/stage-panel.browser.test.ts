import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { facturadorColumns, facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import type { FacturadorStore } from '../../examples/facturador/store.js';
import { ARTIFACTS_DIR, browserSkip, screenshot } from '../helpers/browser.js';
import { insert } from '../helpers/engine-fixtures.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { AUTH, OPERATOR } from './fixtures.js';

/**
 * The stage panel of a real Facturador event, in Chromium at desktop and phone sizes, in both
 * languages: WorldOffice refused the invoice once (503) and created it on the retry. The panel
 * shows both attempts' requests and responses with WorldOffice's token redacted, "intentos
 * 2/4", the stages the invoice waits for and those waiting for it, and the table's column
 * labels are in the page's language. A failed event shows its failure first, the stages that
 * worked folded; the events table shows all seven columns at 1366 pixels.
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
    failedAt: 'Contabilización de la factura',
    whatToDo: 'Qué hacer:',
  },
  en: {
    attempts: 'attempts 2/4',
    column: 'Invoice',
    otherColumn: 'Factura',
    attempt: 'Attempt',
    waitsFor: 'Waits for',
    customer: 'WorldOffice customer · Success',
    failedAt: 'Invoice accounting',
    whatToDo: 'What to do:',
  },
} as const;

describe('Web Pig stage panel: what each attempt sent and received (Chromium, both sizes, both languages)', { skip }, () => {
  let harness: FacturadorHarness;
  let eventId: number;
  /** Invoiced, then refused by WorldOffice's accounting (422: permanent), so dead. */
  let failedId: number;

  // Closed before the server (this hook is registered first): its worker uses the server's store.
  after(async () => {
    await harness?.close();
  });
  const web = webPigInChromium(
    () => {
      // The dashboard only reads the definition (names, labels, dependencies, retry policy): the
      // store the payment stage would use is never called through it.
      const definition = facturadorPipeline({ ...sandboxFacturadorConfig('http://127.0.0.1:9'), store: {} as FacturadorStore });
      return {
        columns: facturadorColumns,
        flags: facturadorFlags,
        pipelines: [{ ...definition, retry: { delaysMs: [0, 0, 0] } }],
        sources: [],
        // The Facturador's flags name a finance role (the seeds' FLAG_PERMISSIONS).
        auth: { ...AUTH, roles: { ...AUTH.roles, finance: { members: [OPERATOR], scopes: ['events:read'] } } },
        signIn: { kind: 'dev' },
      };
    },
    async ({ server }) => {
      harness = await startFacturadorHarness({
        store: server.store,
        configure: (config) => ({ ...config, worldoffice: { ...config.worldoffice, token: WO_TOKEN } }),
      });
      harness.fault({ service: 'worldoffice', operation: 'create_invoice', mode: 'error', count: 1, status: 503 });
      eventId = await harness.sendConfirmation({ invoiceId: 'INV-373', refPayco: '373', state: '1' });
      const event = await harness.waitForStatus(eventId, ['succeeded', 'dead']);
      assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
      harness.fault({ service: 'worldoffice', operation: 'account_invoice', mode: 'error', count: 1, status: 422 });
      failedId = await harness.sendConfirmation({ invoiceId: 'INV-374', refPayco: '374', state: '1' });
      const failed = await harness.waitForStatus(failedId, ['succeeded', 'dead']);
      assert.equal(failed.status, 'dead', 'a 422 is permanent: dead at once');
    },
  );

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      test(`${size}, ${language}: the invoice stage shows its failed and its successful attempt, redacted, with attempts and chain`, async () => {
        const { page, context, seen } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
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
  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      test(`${size}, ${language}: a failed event's panel shows the failure first; the stages that worked are folded, one click away`, async () => {
        const { page, context, seen } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
        try {
          const viewportHeight = page.viewportSize()!.height;
          const row = page.locator(`tr[data-event-id="${failedId}"]`);
          await row.waitFor();

          // The invoice column: its creation worked (with data), its accounting was refused.
          await row.locator('button[data-column="Factura"]').click();
          const panel = page.getByTestId('details-panel');
          const creation = panel.locator('section.stage[data-stage="worldoffice_invoice_creation"]');
          const accounting = panel.locator('section.stage[data-stage="worldoffice_invoice_accounting"]');
          await accounting.waitFor();
          assert.equal(await creation.getAttribute('data-folded'), 'true');
          assert.equal(await creation.locator('details.stage-fold').evaluate((fold) => (fold as HTMLDetailsElement).open), false);
          assert.equal(await creation.locator('pre.json').first().isVisible(), false, "the creation's data is not shown until asked");
          const explained = accounting.getByTestId('error-explained');
          assert.match(await explained.innerText(), new RegExp(words.whatToDo));
          assert.equal(
            (await accounting.locator('dl.facts > dt').first().innerText()).trim(),
            'Error',
            'what went wrong comes before the times',
          );
          const explainedBox = (await explained.boundingBox())!;
          assert.ok(
            explainedBox.y + explainedBox.height <= viewportHeight,
            `what failed and what to do, without scrolling (at ${explainedBox.y}px)`,
          );
          await page.screenshot({ path: `${ARTIFACTS_DIR}/stagepanel-${size}-${language}-4-failed-column.png` });

          // Folded, not hidden: one click shows what the stage that worked returned.
          await creation.locator('details.stage-fold > summary').click();
          await creation.locator('pre.json').last().waitFor();
          assert.match(await creation.locator('pre.json').last().innerText(), /"invoice/);

          // The whole event: where and why first, every stage that worked folded to one line.
          await page.keyboard.press('Escape');
          await panel.waitFor({ state: 'detached' });
          await row.locator('.id-cell a').click();
          const failedAt = panel.getByTestId('panel-failed-at');
          await failedAt.waitFor();
          assert.equal((await failedAt.innerText()).trim(), words.failedAt);
          const failedAtBox = (await failedAt.boundingBox())!;
          assert.ok(failedAtBox.y + failedAtBox.height <= viewportHeight, 'the failed stage is named without scrolling');
          const folded = panel.locator('section.stage[data-folded="true"]');
          const succeeded = (await web.server.store.getCheckpoints(failedId)).filter((c) => c.status === 'success').map((c) => c.stage);
          assert.ok(succeeded.length >= 5, `several stages worked: ${succeeded.join(', ')}`);
          assert.deepEqual(
            (await folded.evaluateAll((sections) => sections.map((section) => section.getAttribute('data-stage')))).sort(),
            [...succeeded].sort(),
          );
          for (const height of await folded.evaluateAll((sections) => sections.map((section) => section.getBoundingClientRect().height))) {
            assert.ok(height < 60, `a stage that worked takes one line, not ${height}px`);
          }
          assert.equal(await panel.locator('section.stage[data-stage="worldoffice_invoice_accounting"]').getAttribute('data-folded'), null);
          await page.screenshot({ path: `${ARTIFACTS_DIR}/stagepanel-${size}-${language}-5-failed-event.png` });
          assert.deepEqual(seen, { dialogs: [], errors: [] });
        } finally {
          await context.close();
        }
      });
    }
  }
  test('1366×768 and 390×844: every Facturador column is in sight; the table scrolls in its own box, not the page', async () => {
    // A page of rows with long names and e-mails, more than the window holds (no pipeline matches: ignored).
    for (let n = 0; n < 30; n++) {
      await insert(web.server.store, {
        source: 'tienda',
        receivedAt: new Date(),
        summary: {
          customer: {
            name: `Sebastián Restrepo Villamizar ${n}`,
            documentId: '1093591310',
            email: `sebastian.restrepo.villamizar${n}@example.com`,
            phone: '573004215453',
          },
          product: { name: 'Curso Intensivo UDEA 2026 - Cuota 1', id: 'PROD-UDEA-2026-1' },
          amount: 403125,
          currency: 'COP',
        },
      });
    }
    for (const language of ['es', 'en'] as const) {
      const desktop = await web.openSignedIn({ language, size: 'desktop', email: OPERATOR, view: 'events' });
      try {
        const { page } = desktop;
        await page.locator('table.events tbody tr').nth(20).waitFor();
        const box = page.locator('.table-scroll');
        const sizes = await box.evaluate((element) => ({
          scrollWidth: element.scrollWidth,
          clientWidth: element.clientWidth,
          scrollHeight: element.scrollHeight,
          clientHeight: element.clientHeight,
          bottom: element.getBoundingClientRect().bottom,
          pageHeight: document.documentElement.scrollHeight,
          pageWidth: document.documentElement.scrollWidth,
          windowHeight: innerHeight,
        }));
        assert.ok(
          sizes.scrollWidth <= sizes.clientWidth,
          `${language}: all columns fit 1366 pixels (table ${sizes.scrollWidth}px in ${sizes.clientWidth}px)`,
        );
        const heads = await page.locator('th.stage-head').evaluateAll((cells) => cells.map((cell) => cell.getBoundingClientRect().right));
        assert.equal(heads.length, 7, 'the Facturador has seven columns');
        for (const right of heads) assert.ok(right <= 1366, `a column header ends at ${right}px, off-screen`);
        // The rows scroll inside the table's box, whose bottom (and sideways scrollbar) is in the window.
        assert.ok(sizes.scrollHeight > sizes.clientHeight, 'the rows scroll inside the box');
        assert.ok(sizes.bottom <= sizes.windowHeight, `the box ends at ${sizes.bottom}px, below the window`);
        assert.ok(sizes.pageHeight <= sizes.windowHeight && sizes.pageWidth <= 1366, 'the page itself does not scroll');
        await screenshot(page, `events-table-desktop-${language}`);
      } finally {
        await desktop.close();
      }
      const phone = await web.openSignedIn({ language, size: 'phone', email: OPERATOR, view: 'events' });
      try {
        const { page } = phone;
        const card = page.locator('table.events tbody tr').first();
        await card.waitFor();
        assert.ok(
          (await page.evaluate(() => document.documentElement.scrollWidth)) <= 390,
          `${language}: no sideways scrolling on a phone`,
        );
        const cells = await card.locator('td.stage-cell').evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().right));
        assert.equal(cells.length, 7);
        for (const right of cells) assert.ok(right <= 390, `a stage icon ends at ${right}px, off-screen`);
        await screenshot(page, `events-table-phone-${language}`);
      } finally {
        await phone.close();
      }
    }
  });
});
