import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { stripeEvent } from '../helpers/signing.js';
import { raiseRunFailedAlert } from '../../src/engine/reconcile-alerts.js';
import { ProviderApiError } from '../../src/sources/listing/provider-list.js';
import { OPERATOR } from './fixtures.js';
import { OPERATOR_DEMO_SERVER } from './operator-fixtures.js';

/**
 * Reconciliation on Web Pig, in real Chromium at both sizes and in both languages: the events
 * found by reconciliation carry a badge (row and panel), the page says when each source was last
 * reconciled and how many it recovered, the panel says whether one payment was found at the
 * provider, whether its time at the provider lies in the dates finished runs covered (checked),
 * after them (not yet) or before them, and that ePayco is looked up by references (no dates
 * claimed), the home counts the week's never-notified payments and links to exactly them, and
 * the alert reads in the page's language.
 */
const skip = browserSkip();

/** A date in the panel's reconciliation line, to the minute: 05/12/2026, 2:03 p. m. / Dec 5, 2026, 14:03. */
const ES_DAY = String.raw`\d{2}/\d{2}/\d{4}, \d{1,2}:\d{2}\s?[ap]\.\s?m\.`;
const EN_DAY = String.raw`[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2}`;

const WORDS = {
  es: {
    badge: 'Recuperado',
    found: 'Encontrado en los registros del proveedor: el webhook nunca llegó',
    // The dates are the covered interval's ends, day and time to the minute (no seconds), as a
    // period is read: dd/mm/yyyy, h:mm a. m.
    covered: new RegExp(
      `^Comparado con el proveedor: la conciliación revisó sus registros del ${ES_DAY} al ${ES_DAY}, periodo que incluye este pago$`,
    ),
    after: new RegExp(`^Webhook recibido; aún sin comparar con el proveedor: la última conciliación cubrió hasta el ${ES_DAY}$`),
    before: new RegExp(
      `^Webhook recibido; fuera del periodo que cubrió la conciliación \\(${ES_DAY} – ${ES_DAY}\\): no consta que se comparara con el proveedor$`,
    ),
    references: new RegExp(
      `^Webhook recibido\\. ePayco se concilia por referencias, no por fechas: este pago se compara solo si su referencia estaba entre las consultadas \\(última conciliación: ${ES_DAY}\\)$`,
    ),
    home: 'Pagos del proveedor nunca notificados esta semana',
    chip: 'Encontrados al conciliar (el webhook nunca llegó)',
    status: 'recuperados: 2 (2 en la última)',
    alert:
      '2 pagos de Stripe nunca notificados: Web Pig los recuperó y los procesa como los demás; pida a quien administra webpig que revise el webhook configurado en el proveedor',
  },
  en: {
    badge: 'Recovered',
    found: "Found in the provider's records: the webhook never arrived",
    covered: new RegExp(
      `^Checked against the provider: reconciliation went through its records from ${EN_DAY} to ${EN_DAY}, a period that includes this payment$`,
    ),
    after: new RegExp(`^Webhook received; not checked against the provider yet: the last reconciliation covered up to ${EN_DAY}$`),
    before: new RegExp(
      `^Webhook received; outside the period reconciliation covered \\(${EN_DAY} – ${EN_DAY}\\): no record that it was checked against the provider$`,
    ),
    references: new RegExp(
      `^Webhook received\\. ePayco is reconciled by reference, not by date: this payment is checked only if its reference was among those looked up \\(last reconciliation: ${EN_DAY}\\)$`,
    ),
    home: 'Provider payments never notified this week',
    chip: 'Found by reconciliation (the webhook never arrived)',
    status: 'recovered: 2 (2 in the last run)',
    alert:
      '2 payments from Stripe never notified: Web Pig recovered them and processes them like any other; ask whoever runs webpig to check the webhook set up at the provider',
  },
} as const;

describe('Web Pig: events found by reconciliation (Chromium, both sizes, both languages)', { skip }, () => {
  let found: number;
  let delivered: number;
  let deliveredLater: number;
  let deliveredLate: number;
  let deliveredBefore: number;
  let epaycoPayment: number;
  let alertId: number;
  let insertPayment: (origin: 'webhook' | 'reconciliation', name: string) => Promise<number>;

  const web = webPigInChromium(OPERATOR_DEMO_SERVER, async ({ server }) => {
    const insert = async (
      origin: 'webhook' | 'reconciliation',
      name: string,
      receivedAt = new Date(),
      occurredAt = receivedAt,
      source: 'stripe' | 'epayco' = 'stripe',
    ) => {
      const event = stripeEvent();
      const result = await server.store.insertEvent({
        source,
        providerEventId: String(event.id),
        entityKey: `pi_${name}`,
        type: 'payment_intent.succeeded',
        transactionStatus: 'accepted',
        occurredAt,
        receivedAt,
        rawBody: Buffer.from(JSON.stringify(event)),
        contentType: 'application/json',
        payload: event as never,
        summary: {
          customer: { name, email: `${name.toLowerCase()}@example.com` },
          amount: 150000,
          currency: 'COP',
          product: { name: 'Membresía Elite' },
        },
        origin,
      });
      return result.event.id;
    };
    insertPayment = (origin, name) => insert(origin, name);
    delivered = await insert('webhook', 'Ana');
    found = await insert('reconciliation', 'Bruno');
    await insert('reconciliation', 'Carla');
    const now = new Date();
    const HOUR = 3_600_000;
    const since = new Date(now.getTime() - 48 * HOUR);
    await server.store.recordReconciliationStart('stripe', now, { since, cursor: null });
    await server.store.recordReconciliationProgress('stripe', { since: now, cursor: null }, 2);
    await server.store.recordReconciliationEnd({
      source: 'stripe',
      now,
      listed: 40,
      recovered: 2,
      error: null,
      covered: { by: 'dates', from: since, until: now },
    });
    // Paid at the provider after the covered dates: not checked yet.
    deliveredLater = await insert('webhook', 'Diana', new Date(now.getTime() + 1_000));
    // Paid within them, its webhook late (received after): its time at the provider decides.
    deliveredLate = await insert('webhook', 'Gabriel', new Date(now.getTime() + 2_000), new Date(now.getTime() - HOUR));
    // Paid before them: outside what reconciliation covered.
    deliveredBefore = await insert('webhook', 'Elena', new Date(now.getTime() - 72 * HOUR));
    // ePayco is looked up by references: no dates are claimed.
    epaycoPayment = await insert('webhook', 'Fabio', new Date(now.getTime() - HOUR), undefined, 'epayco');
    await server.store.recordReconciliationStart('epayco', now, { since, cursor: null });
    await server.store.recordReconciliationEnd({
      source: 'epayco',
      now,
      listed: 3,
      recovered: 0,
      error: null,
      covered: { by: 'references' },
    });
    const alert = await server.store.recordAlert({
      at: now,
      kind: 'custom',
      message: '2 Stripe payments never notified: check the endpoint',
      details: { alert: 'never_notified', source: 'stripe', provider: 'Stripe', count: 2, eventIds: [found, found + 1] },
    });
    alertId = alert.id;
  });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: badge on the row and in the panel, last reconciliation, the alert`, async () => {
        const words = WORDS[language];
        const { page, context } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
        try {
          const row = page.locator(`tr[data-event-id="${found}"]`);
          await row.waitFor();
          assert.equal((await row.getByTestId('reconciled-badge').textContent())?.trim(), `⇄ ${words.badge}`);
          assert.equal(
            await page.locator(`tr[data-event-id="${delivered}"]`).getByTestId('reconciled-badge').count(),
            0,
            'a webhook event has no badge',
          );
          const status = page.getByTestId('reconciliation-status');
          assert.match((await status.textContent()) ?? '', new RegExp(`Stripe.*${words.status.replace(/[()]/g, '\\$&')}`));
          // The provider's name for a finance person; the config's identifier stays in data-source.
          assert.equal(await status.locator('li[data-source="stripe"] .source-name').textContent(), 'Stripe');
          await screenshot(page, `reconcile-${size}-${language}-1-events`);

          await row.locator('a.link').click();
          const panel = page.getByTestId('details-panel');
          await panel.waitFor();
          const reconciled = panel.getByTestId('panel-reconciliation');
          assert.equal(await reconciled.getAttribute('data-state'), 'found');
          assert.equal(await reconciled.textContent(), words.found);
          assert.equal(await panel.getByTestId('reconciled-badge').count(), 1);
          await screenshot(page, `reconcile-${size}-${language}-2-panel`);

          // A payment whose webhook arrived: its time at the provider within the covered dates,
          // after them, before them; ePayco's by references.
          for (const [id, state, text, shot] of [
            [delivered, 'covered', words.covered, '2b-panel-covered'],
            [deliveredLate, 'covered', words.covered, null],
            [deliveredLater, 'after_covered', words.after, '2b-panel-after'],
            [deliveredBefore, 'before_covered', words.before, '2b-panel-before'],
            [epaycoPayment, 'by_references', words.references, '2b-panel-references'],
          ] as const) {
            await page.goto(`${web.server.baseUrl}/events/${id}`);
            const line = page.getByTestId('details-panel').getByTestId('panel-reconciliation');
            await line.waitFor();
            assert.equal(await line.getAttribute('data-state'), state, `event ${id}`);
            assert.match((await line.textContent()) ?? '', text);
            if (shot) await screenshot(page, `reconcile-${size}-${language}-${shot}`);
          }

          // The home counts this week's never-notified payments and links to exactly them.
          await page.goto(`${web.server.baseUrl}/#/home`);
          const card = page.getByTestId('count-recovered');
          await card.waitFor();
          assert.equal(await card.locator('.count-value').textContent(), '2');
          assert.equal(await card.locator('.count-label').textContent(), words.home);
          await screenshot(page, `reconcile-${size}-${language}-2c-home`);
          await card.click();
          await page.getByTestId('filter-chip-origin').waitFor();
          assert.equal(new URL(page.url()).searchParams.get('origin'), 'reconciliation');
          assert.match((await page.getByTestId('filter-chip-origin').textContent()) ?? '', new RegExp(words.chip.replace(/[()]/g, '\\$&')));
          await page.waitForFunction(() => document.querySelectorAll('tr[data-event-id]').length === 2);
          const listed = await page
            .locator('tr[data-event-id]')
            .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-event-id'))));
          assert.deepEqual(listed.sort(), [found, found + 1].sort());
          await screenshot(page, `reconcile-${size}-${language}-2d-recovered-list`);

          await page.goto(`${web.server.baseUrl}/#/alerts`);
          const item = page.getByTestId(`alert-${alertId}`);
          await item.waitFor();
          assert.match((await item.textContent()) ?? '', new RegExp(words.alert));
          await screenshot(page, `reconcile-${size}-${language}-3-alert`);
        } finally {
          await context.close();
        }
      });
    }
  }
  // The line above the events refreshes with the page: a run that recovers a payment while the
  // list is open shows in it (it once kept the counts the page loaded with until a reload).
  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: the reconciliation line refreshes when a run recovers a payment while the list is open`, async () => {
      const { page, context } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
      try {
        const stripeLine = page.getByTestId('reconciliation-status').locator('li[data-source="stripe"]');
        await stripeLine.waitFor();
        const before = (await web.server.store.listReconciliationStates()).find((state) => state.source === 'stripe');
        assert.ok(before);
        const counts = (total: number, last: number) =>
          language === 'es' ? `recuperados: ${total} (${last} en la última)` : `recovered: ${total} (${last} in the last run)`;
        assert.match(
          (await stripeLine.textContent()) ?? '',
          new RegExp(counts(before.totalRecovered, before.lastRecovered).replace(/[()]/g, '\\$&')),
        );

        const now = new Date();
        await web.server.store.recordReconciliationStart('stripe', now, { since: now, cursor: null });
        await web.server.store.recordReconciliationProgress('stripe', { since: now, cursor: null }, 1);
        await web.server.store.recordReconciliationEnd({
          source: 'stripe',
          now,
          listed: 5,
          recovered: 1,
          error: null,
          covered: { by: 'dates', from: new Date(now.getTime() - 3_600_000), until: now },
        });
        // The recovered payment is a new event: the page's live refresh brings it, and the line with it.
        const recovered = await insertPayment('reconciliation', `Hugo${language}`);
        await page.locator(`tr[data-event-id="${recovered}"]`).waitFor();
        await stripeLine.filter({ hasText: counts(before.totalRecovered + 1, 1) }).waitFor({ timeout: 5_000 });
        await screenshot(page, `reconcile-${size}-${language}-4-status-refreshed`);
      } finally {
        await context.close();
      }
    });
  }
  // A run holding its source shows as in progress, since when and on which machine, so nobody
  // starts a second one or reads the last run's counts as this one's.
  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: a run in progress says so, since when and where`, async () => {
        const now = new Date();
        // On a phone, a run before it finished: its counts are the previous run's (before any, none are).
        if (size === 'phone') {
          await web.server.store.recordReconciliationStart('mercadopago', new Date(now.getTime() - 60_000), { since: now, cursor: null });
          await web.server.store.recordReconciliationEnd({
            source: 'mercadopago',
            now: new Date(now.getTime() - 30_000),
            listed: 3,
            recovered: 0,
            error: null,
          });
        }
        const finishedBefore = (await web.server.store.getReconciliationState('mercadopago'))?.lastFinishedAt ?? null;
        // The claim as src/engine/reconcile-claim.ts writes it: host, pid namespace, pid, id.
        const owner = 'web-1|pid:[4026531836]|4242|6f1c';
        assert.deepEqual(
          await web.server.store.claimReconciliationRun({
            source: 'mercadopago',
            owner,
            now,
            leaseUntil: new Date(now.getTime() + 600_000),
          }),
          { claimed: true },
        );
        await web.server.store.recordReconciliationStart(
          'mercadopago',
          now,
          { since: new Date(now.getTime() - 3_600_000), cursor: null },
          owner,
        );
        const { page, context } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
        try {
          const line = page.getByTestId('reconciliation-status').locator('li[data-source="mercadopago"]');
          const running = line.getByTestId('reconciliation-running');
          await running.waitFor();
          assert.match(
            ((await running.textContent()) ?? '').replace(/\s+/g, ' '),
            language === 'es'
              ? new RegExp(
                  `conciliando ahora, desde \\d{2}/\\d{2}/\\d{4}, .+ en web-1: ${finishedBefore ? 'las cifras son de la anterior hasta que termine' : 'sus cifras llegan cuando termine'}; no inicie otra$`,
                )
              : new RegExp(
                  `reconciling now, since [A-Z][a-z]{2} \\d{1,2}, \\d{4}, .+ on web-1: ${finishedBefore ? "the counts are the previous run's until it ends" : 'its counts come when it ends'}; do not start another$`,
                ),
          );
          await screenshot(page, `reconcile-${size}-${language}-5-running`);
          // The home's card of payments found by reconciliation says so too: its figure is not final.
          await page.locator('a[href="#/home"]').first().click();
          const card = page.getByTestId('count-recovered');
          const onCard = card.locator('[data-testid="recovered-running"][data-source="mercadopago"]');
          await onCard.waitFor();
          assert.match(
            ((await onCard.textContent()) ?? '').replace(/\s+/g, ' '),
            language === 'es'
              ? /^Conciliando ahora MercadoPago, desde \d{2}\/\d{2}\/\d{4}, .+ en web-1\. La cifra puede subir cuando termine\.$/
              : /^Reconciling MercadoPago now, since [A-Z][a-z]{2} \d{1,2}, \d{4}, .+ on web-1\. The figure may rise when it ends\.$/,
          );
          await card.scrollIntoViewIfNeeded();
          await screenshot(page, `reconcile-${size}-${language}-6-running-home`);
        } finally {
          await context.close();
          await web.server.store.releaseReconciliationRun('mercadopago', owner);
        }
      });
    }
  }
  // A run that stopped midway (the provider failing after some pages): its alert, raised as the
  // engine raises it, reads in the page's language with the provider's own words folded away.
  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: a run that stopped midway is an alert saying since when payments may be missing and what to do`, async () => {
        const source = `stripe-${language}-${size}`;
        const since = new Date(Date.now() - 48 * 3_600_000);
        const error = new ProviderApiError(503, 'Stripe: GET /v1/events answered 503: upstream unavailable');
        await raiseRunFailedAlert(web.server.store, { source, provider: 'Stripe', since, error }, new Date());
        const stored = (await web.server.store.listAlerts({ unresolvedOnly: true })).items.find(
          (a) => a.subject === `reconcile-failed:${source}`,
        );
        assert.ok(stored);
        const { page, context } = await web.openSignedIn({ language, size, email: OPERATOR, view: 'events' });
        try {
          await page.goto(`${web.server.baseUrl}/#/alerts`);
          const item = page.getByTestId(`alert-${stored.id}`);
          await item.waitFor();
          assert.equal(
            await item.locator('.badge').first().textContent(),
            language === 'es' ? 'Conciliación incompleta' : 'Reconciliation incomplete',
          );
          const text = ((await item.locator(':scope > div').first().textContent()) ?? '').replace(/\s+/g, ' ');
          assert.match(
            text,
            language === 'es'
              ? new RegExp(
                  `^La conciliación de ${source} se detuvo sin terminar el periodo desde el ${ES_DAY}: pueden faltar pagos cuyo webhook se perdió desde entonces \\(la API del proveedor falló o no respondió a tiempo\\)\\. La próxima conciliación programada la reanuda, o ejecute ahora webpig reconcile --source ${source}\\.$`,
                )
              : new RegExp(
                  `^Reconciliation of ${source} stopped before finishing the period from ${EN_DAY}: payments whose webhook was lost since then may be missing \\(the provider's API failed or did not answer in time\\)\\. The next scheduled run resumes it, or run webpig reconcile --source ${source} now\\.$`,
                ),
          );
          assert.doesNotMatch(text, /upstream unavailable/, "the provider's words are the technical detail");
          const technical = item.locator('details.technical');
          await technical.locator('summary').click();
          assert.equal(await technical.locator('code').textContent(), 'Stripe: GET /v1/events answered 503: upstream unavailable');
          await screenshot(page, `reconcile-${size}-${language}-6-run-failed-alert`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
