import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError } from '../../src/core/errors.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { ARTIFACTS_DIR, browserSkip, screenshot, SIZES } from '../helpers/browser.js';
import { claimAndRun, CountingStages, insert, TestClock } from '../helpers/engine-fixtures.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { AUTH, OPERATOR } from './fixtures.js';

/**
 * Bulk retry in real Chromium, desktop and phone, Spanish and English: filter the list, open
 * bulk retry, see the preview (the stages that will run and those done), confirm with a reason,
 * see progress and the result; then a worker runs exactly the previewed stages.
 */

const skip = browserSkip();
const RERUN_WORDS = {
  es: {
    note: /Nueva ejecución pedida por finance1@sentiretaller\.com \(también DIAN\) — motivo: la factura vuelve a estar activa/,
    missing: 'Escriba el motivo.',
    follows: 'estaba omitida por esta',
  },
  en: {
    note: /Re-run asked by finance1@sentiretaller\.com \(also DIAN\) — reason: la factura vuelve a estar activa/,
    missing: 'Write the reason.',
    follows: 'was skipped because of it',
  },
} as const;
const WORDS = {
  es: {
    status: 'Estado',
    source: 'Fuente',
    allSources: 'Todas las fuentes',
    open: 'Reintentar en bloque',
    failedStage: 'Etapa que falló',
    invoice: 'Factura WorldOffice',
    willRun: 'Se ejecutará',
    done: 'Ya hecha, no se repite',
    summary: '2 eventos · 4 ejecuciones de etapa',
    confirm: 'Reintentar 2 eventos',
    queued: '2 eventos quedaron en cola',
    missing: 'Escriba el motivo.',
  },
  en: {
    status: 'Status',
    source: 'Source',
    allSources: 'All sources',
    open: 'Bulk retry',
    failedStage: 'Stage that failed',
    invoice: 'WorldOffice invoice',
    willRun: 'Will run',
    done: 'Done, not repeated',
    summary: '2 events · 4 stage runs',
    confirm: 'Retry 2 events',
    queued: '2 events were queued',
    missing: 'Write the reason.',
  },
} as const;

const PERMANENT_WORDS = {
  es: {
    warning:
      '2 de estos eventos fallaron con un error que no se arregla reintentando: si nada cambió (los datos, la configuración o el otro sistema), lo más probable es que vuelvan a fallar.',
    item: 'no se arregla reintentando',
  },
  en: {
    warning:
      '2 of these events failed with an error that retrying does not fix: unless something changed (the data, the configuration or the other system), retrying them will likely fail again.',
    item: 'retrying does not fix it',
  },
} as const;

/** The sources the filters offer: one per test below, so each one's events are its own. */
const SOURCE_NAMES = ['shop-desktop-es', 'shop-desktop-en', 'shop-phone-es', 'shop-phone-en', 'perm-desktop-es', 'perm-phone-en'];
const SOURCES: SourceConfig[] = SOURCE_NAMES.map((name) => ({ name, kind: 'custom', secrets: ['not-used'], paths: { eventId: 'id' } }));

const stages = new CountingStages();
/** Source → stage that fails for events of that source while set. */
const failing = new Map<string, string>();
/** `source:stage` pairs whose failures are permanent (the data is refused); the others' are retriable. */
const permanentFailures = new Set<string>();
const failWhenAsked = (stage: string) => (ctx: { event: { source: string } }) => {
  if (!failing.get(`${ctx.event.source}:${stage}`)) return;
  if (permanentFailures.has(`${ctx.event.source}:${stage}`)) throw new PermanentError(`${stage} refused the data`, { code: 'HTTP_422' });
  throw new RetriableError(`${stage} is down`, { code: stage === 'crm_upsert' ? 'TIMEOUT' : 'HTTP_500' });
};
const countedInvoice = stages.stage('worldoffice_invoice', {
  label: { es: 'Factura WorldOffice', en: 'WorldOffice invoice' },
  column: 'factura',
  dependsOn: ['fr360_query'],
  flag: 'INVOICE_ENABLED',
});
const countedDian = stages.stage('worldoffice_dian_emission', { label: 'DIAN', column: 'dian', dependsOn: ['worldoffice_invoice'] });
const PIPELINE = definePipeline({
  name: 'facturador',
  match: () => true,
  retry: { delaysMs: [] },
  stages: [
    stages.stage('fr360_query', { label: { es: 'Consulta FR360', en: 'FR360 look-up' } }),
    {
      ...stages.stage('crm_upsert', { label: 'CRM', column: 'crm' }),
      run: async (ctx) => (failWhenAsked('crm_upsert')(ctx), { ok: true }),
    },
    { ...countedInvoice, run: async (ctx) => (failWhenAsked('worldoffice_invoice')(ctx), countedInvoice.run(ctx)) },
    { ...countedDian, run: async (ctx) => (failWhenAsked('worldoffice_dian_emission')(ctx), countedDian.run(ctx)) },
  ],
});

describe('Web Pig bulk retry (Chromium, both sizes, both languages)', { skip }, () => {
  const clock = new TestClock(Date.now() - 60_000);
  const web = webPigInChromium({
    columns: [
      { key: 'crm', label: 'CRM' },
      { key: 'factura', label: 'Factura' },
      { key: 'dian', label: 'DIAN' },
    ],
    flags: [{ key: 'INVOICE_ENABLED', description: 'Invoices', default: true, allowed: ['operator'] }],
    pipelines: [PIPELINE],
    sources: SOURCES,
    auth: AUTH,
    signIn: { kind: 'dev' },
  });

  /** Two events dead at the invoice (or at `stage`) and one dead at the CRM, from `source`, run for real. */
  async function deadEvents(source: string, stage = 'worldoffice_invoice'): Promise<{ invoiceDead: number[]; crmDead: number }> {
    const make = async (stage: string, name: string) => {
      failing.clear();
      failing.set(`${source}:${stage}`, stage);
      const id = await insert(web.server.store, {
        source,
        receivedAt: clock.now(),
        summary: { customer: { name }, amount: 250000, currency: 'COP' },
      });
      assert.equal((await claimAndRun(web.server.store, [PIPELINE], clock))?.status, 'dead');
      return id;
    };
    const invoiceDead = [await make(stage, 'Ana Gómez'), await make(stage, 'Luis Pérez')];
    const crmDead = await make('crm_upsert', 'Marta Ruiz');
    failing.clear();
    return { invoiceDead, crmDead };
  }

  const openPage = (language: 'es' | 'en', size: keyof typeof SIZES) =>
    web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      const name = `bulk-${size}-${language}`;
      test(`${size}, ${language}: filter, preview per event, reason, progress, result; the run runs what was previewed`, async () => {
        const source = `shop-${size}-${language}`;
        const { invoiceDead, crmDead } = await deadEvents(source);
        const { page, seen, close } = await openPage(language, size);
        try {
          // Filter the list: dead events of this source.
          await page
            .locator('form.filters label', { hasText: words.status })
            .locator('select:has(option[value="dead"])')
            .selectOption('dead');
          // The source is chosen among the configured ones (a name typed wrong was a 400).
          const sourceChoice = page.locator('form.filters label', { hasText: words.source }).getByTestId('source-filter');
          assert.deepEqual(
            await sourceChoice.locator('option').allInnerTexts(),
            [words.allSources, ...SOURCE_NAMES],
            'all sources, then each configured one',
          );
          await sourceChoice.selectOption(source);
          await page.waitForFunction((n) => document.querySelectorAll('table.events tbody tr').length === n, 3);
          await screenshot(page, `${name}-01-filtered`);

          await page.getByTestId('bulk-open').click();
          const dialog = page.getByTestId('bulk-dialog');
          await dialog.waitFor();
          assert.match(
            (await dialog.locator('label', { has: page.getByTestId('bulk-stage') }).textContent()) ?? '',
            new RegExp(`^${words.failedStage}`),
          );
          assert.equal(await dialog.getByTestId('bulk-source').inputValue(), source, "the list's source carries over");
          assert.match(
            (await dialog.locator('label', { has: page.getByTestId('bulk-source') }).textContent()) ?? '',
            new RegExp(`^${words.source}`),
            'named as in the list',
          );
          await dialog.getByTestId('bulk-stage').selectOption('worldoffice_invoice');
          await dialog.getByTestId('bulk-preview-button').click();
          const preview = dialog.getByTestId('bulk-preview');
          await preview.waitFor();
          assert.equal(await preview.getAttribute('data-count'), '2');
          assert.equal((await dialog.getByTestId('bulk-summary').textContent())?.replace(/\s+/g, ' ').trim(), words.summary);
          const listed = await preview
            .locator('li[data-event-id]')
            .evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-event-id'))).sort((a, b) => a - b));
          assert.deepEqual(
            listed,
            [...invoiceDead].sort((a, b) => a - b),
            'the CRM failure is not selected',
          );
          for (const id of invoiceDead) {
            const item = preview.locator(`li[data-event-id="${id}"]`);
            const group = (action: string) =>
              item
                .locator(`.plan-group[data-action="${action}"] .plan-stage`)
                .evaluateAll((s) => s.map((x) => x.getAttribute('data-stage')));
            assert.deepEqual(await group('run'), ['worldoffice_invoice', 'worldoffice_dian_emission']);
            assert.deepEqual(await group('done'), ['fr360_query', 'crm_upsert']);
            assert.match((await item.textContent()) ?? '', new RegExp(`${words.willRun}.*${words.invoice}.*${words.done}`));
          }
          assert.equal(await preview.getByTestId('bulk-permanent').count(), 0, 'retriable failures: no warning');
          await screenshot(page, `${name}-02-preview`);

          // A reason is required.
          await dialog.getByTestId('bulk-confirm').click();
          await dialog.getByText(words.missing).waitFor();
          assert.equal((await web.server.store.getEvent(invoiceDead[0]!))?.status, 'dead', 'nothing changed without a reason');
          assert.equal(((await dialog.getByTestId('bulk-confirm').textContent()) ?? '').trim(), words.confirm);
          await dialog.getByTestId('bulk-reason').fill('WorldOffice volvió / is back');
          await dialog.getByTestId('bulk-confirm').click();
          await dialog.getByTestId('bulk-result').waitFor();
          assert.match((await dialog.getByTestId('bulk-queued').textContent()) ?? '', new RegExp(words.queued));
          await screenshot(page, `${name}-03-result`);

          for (const id of invoiceDead) assert.equal((await web.server.store.getEvent(id))?.status, 'queued');
          assert.equal((await web.server.store.getEvent(crmDead))?.status, 'dead', 'not selected, not touched');
          const audits = (await web.server.store.listAudit({ action: 'event.retry' })).items.filter((a) =>
            invoiceDead.some((id) => a.target === `event:${id}`),
          );
          assert.deepEqual(
            audits.map((a) => [a.actor, a.details?.reason]),
            [
              [OPERATOR, 'WorldOffice volvió / is back'],
              [OPERATOR, 'WorldOffice volvió / is back'],
            ],
          );

          // A worker runs exactly the previewed stages.
          const before = ['fr360_query', 'worldoffice_invoice', 'worldoffice_dian_emission'].map((s) => stages.count(s));
          clock.ms = Date.now() + 1000; // the API queued them at its own (real) now
          for (let i = 0; i < 2; i++)
            assert.deepEqual((await claimAndRun(web.server.store, [PIPELINE], clock))?.stagesRun, [
              'worldoffice_invoice',
              'worldoffice_dian_emission',
            ]);
          const after = ['fr360_query', 'worldoffice_invoice', 'worldoffice_dian_emission'].map((s) => stages.count(s));
          assert.deepEqual(
            after.map((n, i) => n - before[i]!),
            [0, 2, 2],
          );
          await dialog.getByTestId('bulk-close').click();
          await dialog.waitFor({ state: 'detached' });
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
          }
          assert.deepEqual(seen.dialogs, []);
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });
    }
  }

  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    const words = PERMANENT_WORDS[language];
    test(`${size}, ${language}: the preview says how many failed in a way retrying does not fix, as a single retry warns, and marks them`, async () => {
      const source = `perm-${size}-${language}`;
      // At the DIAN, not the invoice: the flag tests below re-run the invoice wherever it did not succeed.
      permanentFailures.add(`${source}:worldoffice_dian_emission`);
      const { invoiceDead: dianDead } = await deadEvents(source, 'worldoffice_dian_emission');
      const { page, seen, close } = await openPage(language, size);
      try {
        await page.getByTestId('bulk-open').click();
        const dialog = page.getByTestId('bulk-dialog');
        await dialog.getByTestId('bulk-source').selectOption(source);
        await dialog.getByTestId('bulk-preview-button').click();
        const preview = dialog.getByTestId('bulk-preview');
        await preview.waitFor();
        assert.equal(await preview.getAttribute('data-count'), '3', 'two refused e-invoices and one CRM time-out');
        const warning = preview.getByTestId('bulk-permanent');
        assert.equal((await warning.innerText()).replace(/\s+/g, ' ').trim(), `⚠ ${words.warning}`);
        const marked = await preview
          .locator('li[data-event-id]:has([data-testid="bulk-permanent-item"])')
          .evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-event-id'))).sort((a, b) => a - b));
        assert.deepEqual(
          marked,
          [...dianDead].sort((a, b) => a - b),
          'the CRM time-out is not marked: a retry may fix it',
        );
        assert.equal((await preview.getByTestId('bulk-permanent-item').first().innerText()).trim(), `⚠ ${words.item}`);
        const above = (await warning.boundingBox())!.y < (await preview.locator('ol.bulk-events').boundingBox())!.y;
        assert.ok(above, 'the warning is read before the list and the confirm button');
        // Warned, not blocked: someone who fixed the data may still retry them.
        assert.ok(await dialog.getByTestId('bulk-confirm').isEnabled());
        await screenshot(page, `bulk-permanent-${size}-${language}`);
        assert.deepEqual(seen.errors, []);
      } finally {
        await close();
      }
    });
  }

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = RERUN_WORDS[language];
      test(`${size}, ${language}: re-running a stage skipped by its flag offers the stages its skip blocked, asks a reason, shows it in the history`, async () => {
        const at = () => ({ actor: 'ana', now: new Date() });
        await web.server.store.setFlag({ key: 'INVOICE_ENABLED', value: false, ...at() });
        const id = await insert(web.server.store, {
          source: `rerun-${size}-${language}`,
          receivedAt: clock.now(),
          summary: { customer: { name: 'Pedro Díaz' } },
        });
        clock.ms = Date.now() + 1000;
        assert.equal((await claimAndRun(web.server.store, [PIPELINE], clock))?.status, 'succeeded');
        assert.equal(
          (await web.server.store.getCheckpoints(id)).find((c) => c.stage === 'worldoffice_dian_emission')?.skipReason?.kind,
          'dependency',
        );
        await web.server.store.setFlag({ key: 'INVOICE_ENABLED', value: true, ...at() });
        const { page, seen, close } = await openPage(language, size);
        try {
          await page.locator(`tr[data-event-id="${id}"] button[data-column="factura"]`).click();
          const panel = page.getByTestId('details-panel');
          await panel.getByTestId('rerun-worldoffice_invoice').click();
          const dialog = page.getByTestId('rerun-dialog');
          await dialog.getByTestId('plan').waitFor();
          const run = await dialog
            .locator('.plan-group[data-action="run"] .plan-stage')
            .evaluateAll((s) => s.map((x) => x.getAttribute('data-stage')));
          assert.deepEqual(run, ['worldoffice_invoice', 'worldoffice_dian_emission']);
          assert.match(
            (await dialog.locator('.plan-stage[data-stage="worldoffice_dian_emission"]').textContent()) ?? '',
            new RegExp(words.follows),
          );
          await dialog.getByTestId('rerun-follows').waitFor();
          await dialog.getByTestId('rerun-confirm').click();
          await dialog.getByText(words.missing).waitFor();
          assert.equal((await web.server.store.getEvent(id))?.status, 'succeeded', 'no reason, no change');
          await screenshot(page, `rerun-${size}-${language}-01-dialog`);
          await dialog.getByTestId('rerun-reason').fill('la factura vuelve a estar activa');
          await dialog.getByTestId('rerun-confirm').click();
          await dialog.waitFor({ state: 'detached' });
          clock.ms = Date.now() + 1000;
          assert.deepEqual((await claimAndRun(web.server.store, [PIPELINE], clock))?.stagesRun, [
            'worldoffice_invoice',
            'worldoffice_dian_emission',
          ]);
          assert.ok(
            (await web.server.store.getCheckpoints(id)).every((c) => c.status === 'success'),
            'no skip reason left false',
          );

          await page.keyboard.press('Escape');
          await panel.waitFor({ state: 'detached' });
          await page.locator(`tr[data-event-id="${id}"] .id-cell a`).click();
          const note = page.getByTestId('details-panel').getByTestId('operator-note');
          await note.waitFor();
          assert.match((await note.textContent()) ?? '', words.note);
          await note.scrollIntoViewIfNeeded();
          // The panel is fixed over the list: the viewport, not the full page, shows what a person sees.
          await page.screenshot({ path: `${ARTIFACTS_DIR}/rerun-${size}-${language}-02-history.png` });
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });
    }
  }

  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: turning a flag back on offers to run what it skipped, with the same preview`, async () => {
      await web.server.store.setFlag({ key: 'INVOICE_ENABLED', value: false, actor: 'ana', now: new Date() });
      const id = await insert(web.server.store, {
        source: `flag-${language}`,
        receivedAt: clock.now(),
        summary: { customer: { name: 'Rosa Gil' } },
      });
      clock.ms = Date.now() + 1000;
      assert.equal((await claimAndRun(web.server.store, [PIPELINE], clock))?.status, 'succeeded');
      const { page, seen, close } = await openPage(language, size);
      try {
        await page.goto(`${web.server.baseUrl}/#/flags`);
        await page.locator('#flag-INVOICE_ENABLED').click();
        const confirm = page.getByTestId('confirm-dialog');
        await confirm.getByTestId('confirm-reason').fill('ERP de nuevo en línea');
        await confirm.getByTestId('confirm-button').click();
        await page.getByTestId('flag-offer').waitFor();
        assert.equal((await web.server.store.getFlag('INVOICE_ENABLED'))?.value, true);
        await page.getByTestId('flag-offer-worldoffice_invoice').click();
        const dialog = page.getByTestId('bulk-dialog');
        const preview = dialog.getByTestId('bulk-preview');
        await preview.waitFor();
        assert.equal(await preview.getAttribute('data-count'), '1', 'only the event whose invoice was skipped');
        const run = await preview
          .locator(`li[data-event-id="${id}"] .plan-group[data-action="run"] .plan-stage`)
          .evaluateAll((s) => s.map((x) => x.getAttribute('data-stage')));
        assert.deepEqual(run, ['worldoffice_invoice', 'worldoffice_dian_emission']);
        await screenshot(page, `flag-offer-${size}-${language}`);
        await dialog.getByTestId('bulk-reason').fill('ERP de nuevo en línea');
        await dialog.getByTestId('bulk-confirm').click();
        await dialog.getByTestId('bulk-result').waitFor();
        clock.ms = Date.now() + 1000;
        assert.deepEqual((await claimAndRun(web.server.store, [PIPELINE], clock))?.stagesRun, [
          'worldoffice_invoice',
          'worldoffice_dian_emission',
        ]);
        assert.deepEqual(seen.errors, []);
      } finally {
        await close();
      }
    });
  }
});
