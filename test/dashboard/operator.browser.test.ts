import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, screenshot, SIZES } from '../helpers/browser.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { OPERATOR } from './fixtures.js';
import {
  DIAN_FLAG_ABOUT,
  DIAN_LABEL,
  FR360_LABEL,
  OPERATOR_DEMO_SERVER,
  seedOperatorEvents,
  type OperatorEvents,
} from './operator-fixtures.js';

/**
 * What a finance person needs from a row, in real Chromium at desktop and phone sizes and in
 * both languages: where and why an event failed (also at a stage with no column), the error
 * filter finding every dead event, an ignored row's reason, each pipeline's own columns, a
 * link to one event; then a retry's outcome shown live and a flag change needing a reason.
 */

/** A flag's state as the flags page writes it beside its switch. */
const FLAG_STATE = { es: { on: 'Activado', off: 'Desactivado' }, en: { on: 'On', off: 'Off' } } as const;
/** The start of the confirm dialog's sentence when a flag that gates a stage is turned off or on. */
const FLAG_CONSEQUENCE = {
  es: {
    off: 'Mientras esté desactivado, los pagos que se procesen omitirán:',
    on: 'Desde ahora, los pagos que se procesen ejecutarán:',
    later:
      'Los pagos que lo omiten mientras está desactivado no lo hacen solos después: cuando esté activado, esta página ofrece ejecutarlo en ellos.',
  },
  en: {
    off: 'While it is off, payments processed will skip:',
    on: 'From now on, payments processed will run:',
    later: 'Payments that skip it while the flag is off never run it by themselves: once it is on, this page offers to run it for them.',
  },
} as const;

const skip = browserSkip();

const WORDS = {
  es: {
    failedAt: 'Falló en',
    failedBefore: 'Falló antes de empezar las etapas',
    notFound: 'El otro sistema no encontró lo que se buscó',
    // The panel names the system: the stage's label (the row says it just above).
    notFoundNamed: 'El sistema de “Consulta de la factura en FR360” no encontró lo que se buscó',
    whatToDo: 'Qué hacer:',
    anyError: 'Con algún error',
    exportCsv: 'Descargar CSV',
    ignored: 'No aplica: pago rechazado por el banco',
    pipeline: 'Flujo',
    stripeOrders: 'Pedidos de la tienda (Stripe)',
    date: /^\d{2}\/\d{2}\/\d{4}, /,
  },
  en: {
    failedAt: 'Failed at',
    failedBefore: 'Failed before any stage',
    notFound: 'The other system did not find what was looked up',
    notFoundNamed: 'The system behind “FR360 invoice look-up” did not find what was looked up',
    whatToDo: 'What to do:',
    anyError: 'Any error',
    exportCsv: 'Download CSV',
    ignored: 'Not applicable: payment rejected by the bank',
    pipeline: 'Pipeline',
    stripeOrders: 'Shop orders (Stripe)',
    date: /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2}:\d{2}$/,
  },
} as const;

const DAY_WORDS = {
  es: {
    format: 'dd/mm/aaaa',
    noEvents: 'No hay eventos con estos filtros.',
    noSuchDay: 'no se aplicó; ese día no existe en el calendario',
    notDayFirst: 'no se aplicó; escriba día/mes/año, por ejemplo 05/12/2026',
  },
  en: {
    format: 'dd/mm/yyyy',
    noEvents: 'No events match these filters.',
    noSuchDay: 'not applied; that day is not in the calendar',
    notDayFirst: 'not applied; type day/month/year, for example 05/12/2026',
  },
} as const;

/** Today plus `days` in Bogotá (the dashboard's time zone), YYYY-MM-DD. */
function bogotaDay(days: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Bogota' }).format(new Date(Date.now() + days * 86_400_000));
}

const dayFirst = (day: string) => day.split('-').reverse().join('/');

/** Today in the dashboard's time zone (the server's default, Bogotá), as the export's file name gives it. */
const localDay = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Bogota' }).format(new Date());

const rowIds = (page: Page) =>
  page
    .locator('table.events tbody tr')
    .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-event-id'))).sort((a, b) => a - b));

describe('Web Pig rows that say where and why (Chromium, both sizes, both languages)', { skip }, () => {
  let ids: OperatorEvents;
  const web = webPigInChromium(OPERATOR_DEMO_SERVER, async ({ server }) => {
    ids = await seedOperatorEvents(server.store);
  });

  /** Signed in as the operator on `path` (the events, unless said), in a browser of `language`. */
  const openPage = (language: 'es' | 'en', size: keyof typeof SIZES, path = '/#/events') =>
    web.openSignedIn({ language, size, email: OPERATOR, path });

  async function assertFits(page: Page, size: keyof typeof SIZES) {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (size === 'phone') assert.ok(width <= SIZES.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
  }

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      const name = `ops-${size}-${language}`;

      test(`${size}, ${language}: failed-at with a plain message, ignored reason, each pipeline's own columns, every dead event under the error filter`, async () => {
        const { page, seen, close } = await openPage(language, size);
        try {
          const dead = page.locator(`tr[data-event-id="${ids.deadNoColumn}"]`);
          await dead.waitFor();
          // Dead at fr360_query, which has no column: the row still says where and why.
          const failure = dead.getByTestId('failure');
          assert.equal(await failure.getAttribute('data-stage'), 'fr360_query');
          const failureText = (await failure.textContent()) ?? '';
          assert.ok(failureText.includes(`${words.failedAt} ${FR360_LABEL[language]}`), failureText);
          assert.ok(failureText.includes(words.notFound), failureText);
          assert.doesNotMatch((await dead.textContent()) ?? '', /HTTP_404|fr360_query/, 'no engineer text on the row');
          assert.match((await dead.locator('.id-cell .small').first().textContent()) ?? '', words.date);
          // Dead before any stage: said too.
          const noStage = page.locator(`tr[data-event-id="${ids.deadNoStage}"] [data-testid="failure"]`);
          assert.ok(((await noStage.textContent()) ?? '').startsWith(`✗ ${words.failedBefore}`));
          // Ignored: the reason is on the row.
          assert.equal(await page.locator(`tr[data-event-id="${ids.ignored}"] [data-testid="ignore-reason"]`).textContent(), words.ignored);
          // Mixed pipelines: each row shows its own pipeline's columns only.
          const stripeColumns = await page
            .locator(`tr[data-event-id="${ids.stripeOk}"] button[data-column]`)
            .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-column')));
          assert.deepEqual(stripeColumns, ['pedido', 'inventario']);
          const facturadorColumns = await page
            .locator(`tr[data-event-id="${ids.facturadorOk}"] button[data-column]`)
            .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-column')));
          assert.deepEqual(facturadorColumns, ['crm', 'factura', 'dian']);
          await assertFits(page, size);
          await screenshot(page, `${name}-01-events`);

          // One pipeline chosen: its columns get headers, the others' rows are gone.
          // The selector names pipelines by their label, in the page's language (the one without a label by its name).
          const options = await page.getByLabel(words.pipeline).locator('option').allTextContents();
          assert.deepEqual(options.slice(1), ['facturador', words.stripeOrders]);
          await page.getByLabel(words.pipeline).selectOption('stripe_orders');
          await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 2);
          assert.equal(await page.locator('table.events').getAttribute('data-mode'), 'columns');
          assert.deepEqual(
            await rowIds(page),
            [ids.stripeOk, ids.deadStripe].sort((a, b) => a - b),
          );
          if (size === 'desktop') {
            const heads = await page.locator('table.events th.stage-head').allTextContents();
            assert.deepEqual(heads, ['Pedido', 'Inventario']);
          }
          assert.match(page.url(), /\?pipeline=stripe_orders(#\/events)?$/, 'the filter is in the address');
          await assertFits(page, size);
          await screenshot(page, `${name}-02-stripe-only`);
          await page.getByLabel(words.pipeline).selectOption('');

          // "Any error": every dead (and retrying) event, whatever failed and where.
          const deadIds = (await web.server.store.listEvents({ status: ['dead', 'retrying'] })).items
            .map((event) => event.id)
            .sort((a, b) => a - b);
          assert.equal(deadIds.length, 5);
          await page.getByLabel(words.anyError).check();
          await page.waitForFunction((count) => document.querySelectorAll('table.events tbody tr').length === count, deadIds.length);
          assert.deepEqual(await rowIds(page), deadIds);
          assert.match(page.url(), /columnState=error/);
          await screenshot(page, `${name}-03-any-error`);

          // "Download CSV" gives exactly the rows on screen, in the page's language.
          const exportLink = page.getByTestId('export-csv');
          assert.equal((await exportLink.textContent())?.trim(), words.exportCsv);
          // A button beside bulk retry, not a bar across the page.
          const linkBox = await exportLink.boundingBox();
          const bulkBox = await page.getByTestId('bulk-open').boundingBox();
          assert.ok(linkBox && bulkBox && linkBox.width < 200 && Math.abs(linkBox.y - bulkBox.y) < 4, JSON.stringify({ linkBox, bulkBox }));
          const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
          assert.equal(download.suggestedFilename(), `webpig-${language === 'es' ? 'eventos' : 'events'}-${localDay()}.csv`);
          const csv = (await readFile((await download.path()) as string, 'utf8')).replace(/^\uFEFF/, '');
          const [header, ...lines] = csv.trimEnd().split('\r\n');
          assert.ok(
            header?.startsWith(language === 'es' ? 'ID;Recibido (America/Bogota);Fuente' : 'ID,Received (America/Bogota),Source'),
            header,
          );
          assert.deepEqual(
            lines.map((line) => Number(line.split(language === 'es' ? ';' : ',')[0])).sort((a, b) => a - b),
            deadIds,
          );
          assert.deepEqual(seen.dialogs, []);
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });

      test(`${size}, ${language}: /events/<id> opens that event's panel with the plain error, the technical one a click away`, async () => {
        const { page, seen, close } = await openPage(language, size, `/events/${ids.deadNoColumn}`);
        try {
          const panel = page.getByTestId('details-panel');
          await panel.waitFor();
          assert.equal(await panel.getByTestId('panel-failed-at').textContent(), FR360_LABEL[language]);
          const explained = panel.getByTestId('error-explained').first();
          assert.match((await explained.textContent()) ?? '', new RegExp(`${words.notFoundNamed}.*${words.whatToDo}`));
          const technical = explained.locator('details.technical');
          assert.equal(await technical.getAttribute('open'), null, 'the technical text is folded');
          assert.equal(await technical.locator('code').isVisible(), false);
          await technical.locator('summary').click();
          assert.match((await technical.locator('code').textContent()) ?? '', /HTTP_404: .*answered 404/);
          await assertFits(page, size);
          await screenshot(page, `${name}-04-deep-link-panel`);
          await page.keyboard.press('Escape');
          await panel.waitFor({ state: 'detached' });
          assert.equal(new URL(page.url()).pathname, '/', 'closing the panel leaves the event address');
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
        }
      });
    }
  }

  // The browser's language is the other one: the page's language decides how days are typed.
  for (const [language, size, browserLocale] of [
    ['es', 'desktop', 'en-US'],
    ['en', 'phone', 'es-CO'],
  ] as const) {
    test(`${size}, ${language} page in a ${browserLocale} browser: day fields are typed and shown dd/mm/yyyy, a wrong day says so`, async () => {
      const { page, seen, close } = await openPage(browserLocale === 'en-US' ? 'en' : 'es', size);
      try {
        await page.getByRole('button', { name: language === 'es' ? 'Español' : 'English' }).click();
        const words = DAY_WORDS[language];
        assert.equal(await page.locator('input[type="date"]').count(), 0, "no native date input: Chromium would use the browser's order");
        const since = page.getByTestId('filter-since');
        assert.equal(await since.getAttribute('placeholder'), words.format);
        const today = bogotaDay(0);
        const tomorrow = bogotaDay(1);
        // Tomorrow (in Bogotá) has no events yet; today has them all.
        await since.fill(dayFirst(tomorrow));
        await page.getByText(words.noEvents).waitFor();
        assert.equal(new URL(page.url()).searchParams.get('since'), tomorrow, 'the address keeps the day as YYYY-MM-DD');
        await since.fill(dayFirst(today));
        await page.locator('table.events tbody tr').first().waitFor();
        assert.equal(new URL(page.url()).searchParams.get('since'), today);
        // Month first, as an English browser would write it: 31 is no month.
        const until = page.getByTestId('filter-until');
        await until.fill('12/31/2026');
        await until.blur();
        assert.equal(await page.getByTestId('filter-until-problem').textContent(), `“12/31/2026”: ${words.noSuchDay}`);
        assert.equal(await until.getAttribute('aria-invalid'), 'true');
        assert.equal(new URL(page.url()).searchParams.get('until'), null, 'a wrong day is not applied');
        await until.fill('2026/12/31');
        await until.blur();
        assert.equal(await page.getByTestId('filter-until-problem').textContent(), `“2026/12/31”: ${words.notDayFirst}`);
        await assertFits(page, size);
        await screenshot(page, `ops-09-day-fields-${size}-${language}`);
        await until.fill('');
        await page.getByTestId('filter-until-problem').waitFor({ state: 'detached' });

        // An address with a day (a shared link) shows it day first.
        await page.reload();
        await page.getByTestId('filter-since').waitFor();
        assert.equal(await page.getByTestId('filter-since').inputValue(), dayFirst(today));

        // The audit log's days too.
        await page.locator('a[href="#/audit"]').click();
        assert.equal(await page.getByTestId('audit-since').getAttribute('placeholder'), words.format);
        assert.equal(await page.locator('input[type="date"]').count(), 0);
        assert.deepEqual(seen.errors, []);
      } finally {
        await close();
      }
    });
  }

  test('retrying a permanent error warns first; the row then shows the outcome live', async () => {
    const { page, seen, close } = await openPage('es', 'desktop');
    try {
      const row = page.locator(`tr[data-event-id="${ids.deadNoColumn}"]`);
      await row.getByTestId(`retry-${ids.deadNoColumn}`).click();
      const dialog = page.getByTestId('confirm-dialog');
      await dialog.waitFor();
      assert.match((await dialog.textContent()) ?? '', /fallará de la misma forma/);
      await screenshot(page, 'ops-05-retry-permanent-warning');
      await dialog.getByRole('button', { name: 'Cancelar' }).click();
      assert.equal((await web.server.store.getEvent(ids.deadNoColumn))?.status, 'dead', 'cancel changes nothing');

      await row.getByTestId(`retry-${ids.deadNoColumn}`).click();
      await page.getByTestId('confirm-button').click();
      await row.getByTestId('watching').waitFor();
      assert.equal((await web.server.store.getEvent(ids.deadNoColumn))?.status, 'queued');
      // A worker picks it up; the FR360 invoice exists now.
      const now = new Date();
      const claimed = await web.server.store.claimNextEvent({ workerId: 'w', leaseMs: 60_000, now });
      assert.equal(claimed?.id, ids.deadNoColumn);
      for (const stage of ['fr360_query', 'crm_upsert', 'worldoffice_invoice', 'worldoffice_dian_emission']) {
        await web.server.store.recordStageStart({ eventId: ids.deadNoColumn, stage, leaseOwner: 'w', attempt: 2, startedAt: now });
        await web.server.store.recordStageOutcome({
          eventId: ids.deadNoColumn,
          stage,
          leaseOwner: 'w',
          attempt: 2,
          startedAt: now,
          completedAt: new Date(),
          outcome: { status: 'success', data: null },
        });
      }
      await web.server.store.finishEvent({
        eventId: ids.deadNoColumn,
        leaseOwner: 'w',
        status: 'succeeded',
        pipeline: 'facturador',
        now: new Date(),
      });
      await row.locator('.status-succeeded').waitFor({ timeout: 10_000 });
      assert.equal(await row.getByTestId('failure').count(), 0, 'no failure left on the row');
      assert.equal(await row.getByTestId('watching').count(), 0);
      assert.equal(await page.getByTestId('notice').textContent(), `#${ids.deadNoColumn} se completó tras el reintento.`);
      await screenshot(page, 'ops-06-retry-outcome-live');

      // The audit entry of that retry links to the event: its details open over the log.
      await page.locator('a[href="#/audit"]').click();
      const retried = page.getByTestId('audit-list').locator('[data-testid="audit-row"]', { hasText: 'Reintentó un evento' }).first();
      const link = retried.getByTestId('audit-subject-event');
      await link.waitFor();
      assert.equal(await link.textContent(), `Evento #${ids.deadNoColumn}`);
      assert.equal(await link.getAttribute('href'), `/events/${ids.deadNoColumn}`);
      await link.click();
      const panel = page.getByTestId('details-panel');
      await panel.waitFor();
      assert.equal(await panel.getAttribute('aria-label'), `Detalles — #${ids.deadNoColumn}`);
      assert.equal(new URL(page.url()).pathname, `/events/${ids.deadNoColumn}`);
      await screenshot(page, 'ops-11-audit-event-link');
      await page.keyboard.press('Escape');
      await page.getByTestId('audit-list').waitFor();
      assert.deepEqual(seen.dialogs, []);
    } finally {
      await close();
    }
  });

  for (const [language, size, reason] of [
    ['es', 'desktop', 'La DIAN está en mantenimiento hasta el lunes'],
    ['en', 'phone', 'DIAN maintenance is over'],
  ] as const) {
    test(`${size}, ${language}: a flag change needs a reason, which the flag's history shows`, async () => {
      const { page, seen, close } = await openPage(language, size);
      try {
        await page.locator('a[href="#/flags"]').click();
        const toggle = page.locator('#flag-WORLDOFFICE_DIAN_ENABLED');
        await toggle.waitFor();
        // Named by the stage it turns off, in the page's language; the key small beside it for operators.
        const flagItem = page.locator('li[data-flag="WORLDOFFICE_DIAN_ENABLED"]');
        assert.equal(await flagItem.getByTestId('flag-name').textContent(), DIAN_LABEL[language]);
        assert.equal(await flagItem.locator('code.flag-key').textContent(), 'WORLDOFFICE_DIAN_ENABLED');
        // What it does, in the page's language too (it once stayed Spanish on the English page).
        assert.equal(await flagItem.getByTestId('flag-description').textContent(), DIAN_FLAG_ABOUT[language]);
        const before = (await web.server.store.getFlag('WORLDOFFICE_DIAN_ENABLED'))?.value;
        // Its state in words beside the switch, not only as the switch's colour.
        const state = flagItem.getByTestId('flag-state');
        assert.equal(await state.innerText(), FLAG_STATE[language][before ? 'on' : 'off']);
        await toggle.click({ force: true });
        const dialog = page.getByTestId('confirm-dialog');
        await dialog.waitFor();
        assert.ok(
          ((await dialog.textContent()) ?? '').includes(`${DIAN_LABEL[language]} (WORLDOFFICE_DIAN_ENABLED)`),
          'the dialog names it too',
        );
        assert.ok(
          ((await dialog.textContent()) ?? '').includes(`${DIAN_FLAG_ABOUT[language]} — `),
          'and says what it does in the same language',
        );
        // What the change does to payments, by the stage's name, before it is done.
        assert.ok(
          ((await dialog.textContent()) ?? '').includes(
            `${FLAG_CONSEQUENCE[language][before ? 'off' : 'on']} ${DIAN_LABEL[language]}. ${FLAG_CONSEQUENCE[language].later}`,
          ),
          `the consequence is said: ${await dialog.textContent()}`,
        );
        await dialog.getByTestId('confirm-button').click();
        await dialog.getByTestId('reason-missing').waitFor();
        assert.equal((await web.server.store.getFlag('WORLDOFFICE_DIAN_ENABLED'))?.value, before, 'no reason, no change');
        await screenshot(page, `ops-07-flag-reason-${size}-${language}`);
        await dialog.getByTestId('confirm-reason').fill(reason);
        await dialog.getByTestId('confirm-button').click();
        await page.waitForFunction(
          (value) => (document.getElementById('flag-WORLDOFFICE_DIAN_ENABLED') as HTMLInputElement).checked === value,
          !before,
        );
        await state.filter({ hasText: new RegExp(`^${FLAG_STATE[language][before ? 'off' : 'on']}$`) }).waitFor();
        const history = await web.server.store.flagHistory('WORLDOFFICE_DIAN_ENABLED', { limit: 1 });
        assert.equal(history.items[0]?.reason, reason, 'stored with the change');
        assert.equal(history.items[0]?.actor, OPERATOR);
        const item = page.locator('li[data-flag="WORLDOFFICE_DIAN_ENABLED"]');
        await item.locator('details.flag-history summary').click();
        await item.getByTestId('flag-history-WORLDOFFICE_DIAN_ENABLED').waitFor();
        assert.match(
          (await item.getByTestId('flag-history-WORLDOFFICE_DIAN_ENABLED').locator('li').first().textContent()) ?? '',
          new RegExp(reason),
        );
        await assertFits(page, size);
        await screenshot(page, `ops-08-flag-history-${size}-${language}`);

        // The audit log names the flag the same way and links to it on the flags view.
        await page.locator('a[href="#/audit"]').click();
        const subject = page.getByTestId('audit-list').getByTestId('audit-subject-flag').first();
        await subject.waitFor();
        assert.equal(await subject.getAttribute('href'), '#/flags/WORLDOFFICE_DIAN_ENABLED');
        assert.equal(await subject.textContent(), DIAN_LABEL[language]);
        assert.equal(
          await subject.locator('xpath=following-sibling::code[1]').textContent(),
          'WORLDOFFICE_DIAN_ENABLED',
          'the key beside it',
        );
        await assertFits(page, size);
        await screenshot(page, `ops-10-audit-flag-link-${size}-${language}`);
        await subject.click();
        await page.locator('li.flag-target[data-flag="WORLDOFFICE_DIAN_ENABLED"]').waitFor();
        assert.match(page.url(), /#\/flags\/WORLDOFFICE_DIAN_ENABLED$/);
        assert.equal(await page.locator('a.tab.active').getAttribute('href'), '#/flags', 'the flags tab is the one shown');
        // The flag history tab names it too.
        await page.goBack();
        await page.getByTestId('flag-history-tab').click();
        const historyFlag = page.getByTestId('flag-history-list').getByTestId('audit-subject-flag').first();
        assert.equal(await historyFlag.textContent(), DIAN_LABEL[language]);
        assert.deepEqual(seen.dialogs, []);
      } finally {
        await close();
      }
    });
  }
});
