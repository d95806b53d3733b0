import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SourceConfig } from '../../src/sources/config.js';
import { browserSkip, screenshot, SIZES, type DashboardServer } from '../helpers/browser.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { ADMIN } from './fixtures.js';
import { OP_SOURCES, OPERATOR_DEMO_SERVER, seedOperatorEvents, seedRun } from './operator-fixtures.js';

/**
 * A finance person's day on Web Pig, in real Chromium at both sizes and in both languages: the
 * events filters keep "Limpiar" in their row beside a long source name, an audit entry about an
 * alert opens that alert (also one resolved since), and opening panel after panel asks the
 * server for the reconciliation state once.
 */
const skip = browserSkip();

/** A source named as companies name them: long enough to widen a select that sizes to its options. */
const LONG_SOURCE = 'mercadopago_suscripciones_colegio_bogota_norte';
const SOURCES: SourceConfig[] = [...OP_SOURCES, { name: LONG_SOURCE, kind: 'custom', secrets: ['not-used'], paths: { eventId: 'id' } }];

const WORDS = {
  es: {
    clear: 'Limpiar',
    alertLink: /^Alerta #\d+$/,
    retry: 'Reintentar',
    failedAgain: (id: number) => `#${id} volvió a fallar tras el reintento. Falló en Descuento de inventario.`,
  },
  en: {
    clear: 'Clear',
    alertLink: /^Alert #\d+$/,
    retry: 'Retry',
    failedAgain: (id: number) => `#${id} failed again after the retry. Failed at Stock take.`,
  },
} as const;

/** A succeeded shop order from LONG_SOURCE, finished as a worker's run would leave it. */
async function seedLongSourceOrder(server: DashboardServer): Promise<number> {
  const now = new Date(Date.now() - 30_000);
  const { event } = await server.store.insertEvent({
    source: LONG_SOURCE,
    providerEventId: 'long-source-order-1',
    entityKey: 'long-source-order-1',
    type: 'order.paid',
    transactionStatus: 'accepted',
    occurredAt: now,
    receivedAt: now,
    rawBody: Buffer.from('{}'),
    contentType: 'application/json',
    payload: {},
    summary: { customer: { name: 'Lucía Gómez' }, product: { name: 'Matrícula 2027' }, amount: 1_250_000, currency: 'COP' },
  });
  const claimed = await server.store.claimNextEvent({ workerId: 'seed-long', leaseMs: 60_000, now });
  if (claimed?.id !== event.id) throw new Error(`seed: expected to claim event ${event.id}, got ${claimed?.id ?? 'none'}`);
  await server.store.finishEvent({
    eventId: event.id,
    leaseOwner: 'seed-long',
    status: 'succeeded',
    pipeline: 'stripe_orders',
    nextAttemptAt: null,
    lastError: null,
    ignoreReason: null,
    now: new Date(now.getTime() + 1_000),
  });
  return event.id;
}

const STOCK_409 = { message: 'shop: POST /stock answered 409', code: 'SHOP_HTTP_409', retriable: true };

describe("Web Pig through a finance person's day (Chromium, both sizes, both languages)", { skip }, () => {
  let openAlert = 0;
  let resolvedAlert = 0;
  let eventIds: number[] = [];
  /** Dead before any stage (the pipeline's code failed): a permanent error, so retrying it asks first. */
  let deadNoStage = 0;
  /** A shop order from the long-named source: its row names source and pipeline at length. */
  let longSourceEvent = 0;

  const web = webPigInChromium({ ...OPERATOR_DEMO_SERVER, sources: SOURCES }, async ({ server }) => {
    const ids = await seedOperatorEvents(server.store);
    longSourceEvent = await seedLongSourceOrder(server);
    eventIds = [ids.facturadorOk, ids.deadCrm, ids.stripeOk];
    deadNoStage = ids.deadNoStage;
    const now = new Date();
    const record = async (eventId: number, message: string) =>
      (await server.store.recordAlert({ at: now, kind: 'dead', eventId, message })).id;
    openAlert = await record(ids.deadCrm, 'event is dead');
    resolvedAlert = await record(ids.deadStripe, 'event is dead');
    await server.store.resolveAlert(resolvedAlert, now);
    for (const id of [openAlert, resolvedAlert]) {
      await server.store.appendAudit({
        actor: ADMIN,
        action: 'alert.ack',
        target: `alert:${id}`,
        at: now,
        details: { reason: 'CRM caído, lo reintento luego' },
      });
    }
    // A reconciled source, so the panel has something to say about each payment.
    await server.store.recordReconciliationStart('epayco', now, { since: new Date(now.getTime() - 86_400_000), cursor: null });
    // ePayco is looked up by references, as a run of today's webpig records it.
    await server.store.recordReconciliationEnd({
      source: 'epayco',
      now,
      listed: 3,
      recovered: 0,
      error: null,
      covered: { by: 'references' },
    });
  });

  for (const language of ['es', 'en'] as const) {
    test(`desktop, ${language}: "${WORDS[language].clear}" stays in the filters' row beside a long source name`, async () => {
      const { page, close } = await web.openSignedIn({ language, size: 'desktop', email: ADMIN, view: 'events' });
      try {
        await page.getByTestId('source-filter').selectOption(LONG_SOURCE);
        await page.waitForURL(/source=/);
        const clear = page.locator('form.filters').getByRole('button', { name: WORDS[language].clear, exact: true });
        const search = page.locator('form.filters input.search');
        const [clearBox, searchBox] = [await clear.boundingBox(), await search.boundingBox()];
        assert.ok(clearBox && searchBox);
        await screenshot(page, `finance-day-desktop-${language}-filters`);
        // In the row: level with the search box, not on a line of its own below it.
        assert.ok(
          clearBox.y < searchBox.y + searchBox.height,
          `the clear button is on its own line (top ${clearBox.y}, search box ${searchBox.y}–${searchBox.y + searchBox.height})`,
        );
        // The long name is still there to read, in full, where the select cuts it.
        assert.equal(await page.getByTestId('source-filter').getAttribute('title'), LONG_SOURCE);
      } finally {
        await close();
      }
    });

    for (const size of ['desktop', 'phone'] as const) {
      // The hint said what can be searched, cut mid-word at 1366 px ("Buscar (nombre, correo, cédula, refe").
      test(`${size}, ${language}: the search box's hint is whole, beside every other filter`, async () => {
        const { page, close } = await web.openSignedIn({ language, size, email: ADMIN, view: 'events' });
        try {
          const search = page.locator('form.filters input.search');
          await search.waitFor();
          const { hint, needed, room } = await search.evaluate((input: HTMLInputElement) => {
            const style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d')!;
            context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return { hint: input.placeholder, needed: context.measureText(input.placeholder).width, room: input.clientWidth - padding };
          });
          await screenshot(page, `finance-day-${size}-${language}-search-hint`);
          assert.ok(hint.length > 0);
          assert.ok(needed <= room, `"${hint}" needs ${Math.ceil(needed)}px, the box has ${Math.floor(room)}px`);
          // The whole sentence (what each word means) stays the box's name and tooltip.
          assert.equal(await search.getAttribute('title'), await search.getAttribute('aria-label'));
        } finally {
          await close();
        }
      });
    }

    test(`desktop, ${language}: the events table fits 1366 px beside a long source and pipeline name, its stages in sight`, async () => {
      const { page, close } = await web.openSignedIn({ language, size: 'desktop', email: ADMIN, view: 'events' });
      try {
        const row = page.locator(`tr[data-event-id="${longSourceEvent}"]`);
        await row.waitFor();
        // Kept on one line, "<source> · <pipeline>" widened the first column until the stages
        // column left the table's box: a sideways scroll to see whether an order went through.
        const box = page.locator('.table-scroll').first();
        const [inner, outer] = await box.evaluate((element) => [element.scrollWidth, element.clientWidth]);
        await screenshot(page, `finance-day-desktop-${language}-long-source-row`);
        assert.ok(inner <= outer, `the events table fits its box (${inner}px in ${outer}px)`);
        assert.ok((await row.locator('.stages-cell').boundingBox())!.x + 40 < SIZES.desktop.width, 'the stages are on screen');
      } finally {
        await close();
      }
    });

    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: an audit entry about an alert opens that alert, open or resolved since`, async () => {
        const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
        try {
          for (const id of [openAlert, resolvedAlert]) {
            await page.goto(`${web.server.baseUrl}/#/audit`);
            const link = page.getByTestId('audit-list').locator(`a[data-testid="audit-subject-alert"][title="alert:${id}"]`);
            await link.waitFor();
            assert.match((await link.textContent()) ?? '', WORDS[language].alertLink);
            if (id === openAlert) await screenshot(page, `finance-day-${size}-${language}-audit`);
            await link.click();
            const item = page.getByTestId(`alert-${id}`);
            await item.waitFor();
            assert.equal(new URL(page.url()).hash, `#/alerts/${id}`);
            assert.match((await item.getAttribute('class')) ?? '', /\balert-target\b/, `alert ${id} is outlined`);
            assert.ok(await item.isVisible());
            await screenshot(page, `finance-day-${size}-${language}-alert-${id === openAlert ? 'open' : 'resolved'}`);
          }
          // An alert that is not there says so instead of showing a list with nothing picked.
          await page.goto(`${web.server.baseUrl}/#/alerts/999999`);
          await page.getByTestId('alert-target-missing').waitFor();
        } finally {
          await close();
        }
      });
    }
  }

  test('a page view asks for the reconciliation state once: the line above the events and panel after panel', async () => {
    const { page, close } = await web.openSignedIn({ language: 'es', size: 'desktop', email: ADMIN, view: 'events' });
    try {
      // The events view opened by signing in asks as it mounts: let that ask end before counting,
      // or the reload below cuts it off mid-flight and it is counted without its reply.
      await page.getByTestId('reconciliation-status').waitFor();
      let asked = 0;
      // What each ask got back, for a failure to say why (a refused first ask is not reused).
      const replies: string[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/api/reconciliation') replies.push(`${response.status()} at ${Date.now()}`);
      });
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api/reconciliation') asked += 1;
      });
      await page.reload();
      await page.locator(`tr[data-event-id="${eventIds[0]}"]`).waitFor();
      await page.getByTestId('reconciliation-status').waitFor();
      // A finance person reads the provider's name, not the config's identifier (kept in data-source).
      assert.equal(
        await page.locator('[data-testid="reconciliation-status"] li[data-source="epayco"] .source-name').textContent(),
        'ePayco',
      );
      // What each panel says, the source named as its provider is: ePayco reconciled by references, Stripe not at all.
      const byReferences = /^Webhook recibido\. ePayco se concilia por referencias/;
      const says = [byReferences, byReferences, /\(la fuente Stripe no se concilia\)$/]; // eventIds' sources: epayco, epayco, stripe
      for (const [index, id] of eventIds.entries()) {
        await page.locator(`tr[data-event-id="${id}"] a.link`).first().click();
        const panel = page.getByTestId('details-panel');
        await panel.waitFor();
        await panel.getByTestId('panel-reconciliation').waitFor();
        assert.match((await panel.getByTestId('panel-reconciliation').textContent()) ?? '', says[index] ?? /^(?!)/, `event ${id}`);
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'detached' });
      }
      assert.equal(asked, 1, `the events and three panels asked ${asked} times (${replies.join(', ')})`);
    } finally {
      await close();
    }
  });

  // Retried from the home's failed list, an event leaves the list while it runs and comes back
  // looking the same when it fails again: only the outcome's notice tells the two apart.
  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: a retry from the home's failed list says how it ended`, async () => {
      const dead = await seedRun(web.server.store, {
        source: 'stripe',
        id: `st-home-${language}`,
        customer: 'Rosa Lima',
        amount: 120_000,
        stages: [
          ['order_record', { status: 'success', data: { order: 'O-7' } }],
          ['stock_take', { status: 'error', error: STOCK_409 }],
        ],
        status: 'dead',
        lastError: STOCK_409,
      });
      const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
      try {
        const item = page.getByTestId(`pinned-${dead.id}`);
        await item.getByRole('button', { name: WORDS[language].retry, exact: true }).click();
        await page.waitForFunction(() => document.querySelector('[data-testid="notice"]') !== null);
        assert.equal((await web.server.store.getEvent(dead.id))?.status, 'queued');
        // A worker runs it; the shop still refuses the stock take.
        const now = new Date();
        const claimed = await web.server.store.claimNextEvent({ workerId: 'w', leaseMs: 60_000, now });
        assert.equal(claimed?.id, dead.id);
        await web.server.store.recordStageStart({ eventId: dead.id, stage: 'stock_take', leaseOwner: 'w', attempt: 2, startedAt: now });
        await web.server.store.recordStageOutcome({
          eventId: dead.id,
          stage: 'stock_take',
          leaseOwner: 'w',
          attempt: 2,
          startedAt: now,
          completedAt: new Date(),
          outcome: { status: 'error', error: STOCK_409 },
        });
        await web.server.store.finishEvent({
          eventId: dead.id,
          leaseOwner: 'w',
          status: 'dead',
          pipeline: 'stripe_orders',
          lastError: STOCK_409,
          nextAttemptAt: null,
          now: new Date(),
        });
        const notice = page.getByTestId('notice').filter({ hasText: WORDS[language].failedAgain(dead.id) });
        await notice.waitFor({ timeout: 10_000 });
        await item.waitFor();
        await screenshot(page, `finance-day-${size}-${language}-home-retry-failed-again`);
      } finally {
        await close();
      }
    });
  }

  // An ePayco payment's references are ePayco's field names (refPayco, validated: "true"): in
  // the panel they read in the page's language, the key kept in the name's title.
  for (const [language, size] of [
    ['es', 'phone'],
    ['en', 'desktop'],
  ] as const) {
    test(`${size}, ${language}: the panel names a payment's references in the page's language`, async () => {
      const expected = {
        es: [
          ['refPayco', 'Referencia ePayco', '62648392'],
          ['validated', 'Confirmado con ePayco', 'Sí'],
          ['extra2', 'Campo extra 2', 'PROD-PREU-NAL'],
          ['worldofficeInvoice', 'Factura en WorldOffice', '1042'],
          ['cartera', 'cartera', 'C-77'],
        ],
        en: [
          ['refPayco', 'ePayco reference', '62648392'],
          ['validated', 'Confirmed with ePayco', 'Yes'],
          ['extra2', 'Extra field 2', 'PROD-PREU-NAL'],
          ['worldofficeInvoice', 'WorldOffice invoice', '1042'],
          ['cartera', 'cartera', 'C-77'],
        ],
      }[language];
      const now = new Date();
      const { event } = await web.server.store.insertEvent({
        source: 'epayco',
        providerEventId: `refs-${language}`,
        entityKey: `refs-${language}`,
        type: 'transaction.accepted',
        transactionStatus: 'accepted',
        occurredAt: now,
        receivedAt: now,
        rawBody: Buffer.from('{}'),
        contentType: 'application/json',
        payload: {},
        summary: {
          customer: { name: 'Laura Gómez' },
          amount: 890_000,
          currency: 'COP',
          references: { refPayco: '62648392', validated: 'true', extra2: 'PROD-PREU-NAL', worldofficeInvoice: '1042', cartera: 'C-77' },
        },
      });
      const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
      try {
        await page.goto(`${web.server.baseUrl}/events/${event.id}`);
        const summary = page.getByTestId('details-panel').getByTestId('summary');
        await summary.waitFor();
        for (const [key, label, value] of expected) {
          const name = summary.locator(`dt[data-reference="${key}"]`);
          assert.equal(await name.textContent(), label, key);
          assert.equal(await name.getAttribute('title'), key);
          assert.equal(await name.evaluate((dt) => dt.nextElementSibling?.textContent), value, key);
        }
        await summary.scrollIntoViewIfNeeded();
        await screenshot(page, `finance-day-${size}-${language}-panel-references`);
      } finally {
        await close();
      }
    });
  }

  // The subscriptions report (seeds): two notifications of one subscription. Each panel names the
  // shop's subscription row and says, in the page's language, which notification activated it and
  // that the other changed nothing; the list names the plan.
  for (const size of ['phone', 'desktop'] as const) {
    for (const language of ['es', 'en'] as const) {
      test(`${size}, ${language}: two notifications of one subscription say which one activated it`, async () => {
        const words = {
          es: {
            subscription: 'Suscripción en la tienda',
            activation: 'Activación',
            activated: 'este aviso la activó',
            already: 'ya estaba activa: nada cambió',
          },
          en: {
            subscription: 'Subscription in the shop',
            activation: 'Activation',
            activated: 'this notification activated it',
            already: 'already active: nothing changed',
          },
        }[language];
        const now = new Date();
        const notification = async (n: number, activation: string) =>
          (
            await web.server.store.insertEvent({
              source: 'mercadopago',
              providerEventId: `pre-visible-${size}-${language}:${n}`,
              entityKey: `subscription_preapproval:pre-visible-${size}-${language}`,
              type: 'subscription_preapproval.updated',
              transactionStatus: null,
              occurredAt: now,
              receivedAt: now,
              rawBody: Buffer.from('{}'),
              contentType: 'application/json',
              payload: {},
              summary: {
                customer: { email: 'suscriptor@example.com' },
                product: { id: 'plan-mensual', name: 'Plan mensual PetGourmet', price: 89_900 },
                references: { externalReference: 'pgsub:u-7:plan-mensual', subscription: '7', activation },
              },
            })
          ).event;
        const events = [await notification(1, 'activated'), await notification(2, 'already_active')];
        const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
        try {
          for (const [i, event] of events.entries()) {
            await page.goto(`${web.server.baseUrl}/events/${event.id}`);
            const summary = page.getByTestId('details-panel').getByTestId('summary');
            await summary.waitFor();
            const fact = async (key: string) => {
              const name = summary.locator(`dt[data-reference="${key}"]`);
              return [await name.textContent(), await name.evaluate((dt) => dt.nextElementSibling?.textContent)];
            };
            assert.deepEqual(await fact('subscription'), [words.subscription, '7']);
            assert.deepEqual(await fact('activation'), [words.activation, i === 0 ? words.activated : words.already]);
            await summary.scrollIntoViewIfNeeded();
            await screenshot(page, `finance-day-${size}-${language}-subscription-${i === 0 ? 'activated' : 'already-active'}`);
          }
          const row = page.locator(`tr[data-event-id="${events[0]!.id}"]`);
          await row.waitFor();
          assert.match((await row.locator('td.product').innerText()).trim(), /^Plan mensual PetGourmet/);
        } finally {
          await close();
        }
      });
    }
  }

  // Two people on the same alert: it resolved (or was acknowledged) after the page showed it.
  // The server refuses in English with its codes; the page says it in its language, and what now.
  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: a refusal because someone got there first reads in the page's language`, async () => {
      const words = {
        es: { resolved: 'Esta alerta ya se resolvió sola (su causa desapareció): no queda nada que hacer con ella.' },
        en: { resolved: 'This alert has already resolved by itself (its cause is gone): there is nothing left to do with it.' },
      }[language];
      const alert = await web.server.store.recordAlert({ at: new Date(), kind: 'custom', message: `stock check ${language}-${size}` });
      const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
      try {
        await page.goto(`${web.server.baseUrl}/#/alerts`);
        const item = page.getByTestId(`alert-${alert.id}`);
        await item.waitFor();
        // Meanwhile its cause went away: the worker resolved it.
        await web.server.store.resolveAlert(alert.id, new Date());
        await item.getByTestId('alert-ack-button').click();
        const dialog = page.getByTestId('confirm-dialog');
        await dialog.locator('textarea').fill('Revisado con bodega');
        await page.getByTestId('confirm-button').click();
        const notice = page.getByTestId('notice');
        await notice.waitFor();
        assert.equal(await notice.textContent(), words.resolved);
        // …and the list no longer offers the alert that is gone.
        await item.waitFor({ state: 'detached' });
        await screenshot(page, `finance-day-${size}-${language}-refusal-in-words`);
      } finally {
        await close();
      }
    });
  }

  // A wrong day says why under its field; the row keeps its layout (it used to push "Hasta" and
  // "Limpiar" onto a line of their own), and nothing sticks out of the window.
  for (const size of ['desktop', 'phone'] as const) {
    test(`${size}, es: a wrong day in the filters says why without breaking the row`, async () => {
      const { page, close } = await web.openSignedIn({ language: 'es', size, email: ADMIN, view: 'events' });
      try {
        const clear = page.locator('form.filters').getByRole('button', { name: 'Limpiar', exact: true });
        await clear.waitFor();
        const before = await clear.boundingBox();
        for (const field of ['filter-since', 'filter-until']) {
          await page.getByTestId(field).fill('31/02/2026');
          await page.getByTestId(field).press('Tab');
          const problem = page.getByTestId(`${field}-problem`);
          await problem.waitFor();
          assert.match((await problem.textContent()) ?? '', /ese día no existe/);
          const box = await problem.boundingBox();
          const width = size === 'desktop' ? 1366 : 390;
          assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${field}'s sentence is on screen (${JSON.stringify(box)})`);
          assert.deepEqual(await clear.boundingBox(), before, `${field}: "Limpiar" stays where it was`);
          assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, 'no sideways scrolling');
          await screenshot(page, `finance-day-${size}-es-wrong-day-${field}`);
          await page.getByTestId(field).fill('');
          await page.getByTestId(field).press('Tab');
        }
      } finally {
        await close();
      }
    });
  }

  // "Este error no se arregla reintentando" over a list of look-alike failed payments: the
  // question says which payment it is about, from the home and from the events list.
  for (const [language, size] of [
    ['es', 'desktop'],
    ['en', 'phone'],
  ] as const) {
    test(`${size}, ${language}: retrying a permanent error asks about that payment by name`, async () => {
      const { page, close } = await web.openSignedIn({ language, size, email: ADMIN });
      try {
        const subject = `#${deadNoStage} · Lucía Vega · `;
        const cancel = language === 'es' ? 'Cancelar' : 'Cancel';
        await page.getByTestId(`pinned-${deadNoStage}`).getByRole('button', { name: WORDS[language].retry, exact: true }).click();
        const dialog = page.getByTestId('confirm-dialog');
        await dialog.waitFor();
        assert.ok(((await dialog.textContent()) ?? '').includes(subject), (await dialog.textContent()) ?? '');
        await screenshot(page, `finance-day-${size}-${language}-retry-permanent-named`);
        await dialog.getByRole('button', { name: cancel }).click();

        await page.locator('a[href="#/events"]').click();
        await page.getByTestId(`retry-${deadNoStage}`).click();
        await dialog.waitFor();
        assert.ok(((await dialog.textContent()) ?? '').includes(subject), (await dialog.textContent()) ?? '');
        await dialog.getByRole('button', { name: cancel }).click();
        assert.equal((await web.server.store.getEvent(deadNoStage))?.status, 'dead', 'cancel changes nothing');
      } finally {
        await close();
      }
    });
  }

  // A subscription's notification carries no product, amount or payment state: on a phone's card
  // those cells are left out instead of "— — —"; the laptop's table keeps "—" under its headings.
  // Its customer is an e-mail alone, shown as the customer with no "—" for the missing name.
  test('phone and desktop, es: an event without product, amount or transaction', async () => {
    const now = new Date();
    const { event } = await web.server.store.insertEvent({
      source: 'epayco',
      providerEventId: 'bare-notification',
      entityKey: 'bare-notification',
      type: 'subscription.updated',
      transactionStatus: null,
      occurredAt: now,
      receivedAt: now,
      rawBody: Buffer.from('{}'),
      contentType: 'application/json',
      payload: {},
      summary: { customer: { email: 'suscriptor@example.com' } },
    });
    for (const size of ['phone', 'desktop'] as const) {
      const { page, close } = await web.openSignedIn({ language: 'es', size, email: ADMIN, view: 'events' });
      try {
        const row = page.locator(`tr[data-event-id="${event.id}"]`);
        await row.waitFor();
        const shown = await row
          .locator('td.product, td.amount, td.transaction')
          .evaluateAll((cells) =>
            cells.filter((cell) => (cell as HTMLElement).offsetParent !== null).map((cell) => cell.textContent?.trim()),
          );
        assert.deepEqual(shown, size === 'phone' ? [] : ['—', '—', '—'], size);
        // No name: the e-mail is who paid, without a "—" above it.
        assert.equal((await row.locator('td.customer').innerText()).trim(), 'suscriptor@example.com', size);
        await row.screenshot({ path: (await screenshot(page, `finance-day-${size}-es-bare-row`)).replace(/\.png$/, '-row.png') });
      } finally {
        await close();
      }
    }
  });

  // The demo's home listed a failed Stripe payment as "#45 — COP 1,500": its payer had an e-mail, no name.
  test("phone, es: the home's failed list names a payer known only by e-mail", async () => {
    const dead = await seedRun(web.server.store, {
      source: 'stripe',
      id: 'st-email-only',
      customer: '',
      payer: { email: 'juan.perez@example.com' },
      amount: 1_500,
      stages: [['stock_take', { status: 'error', error: STOCK_409 }]],
      status: 'dead',
      lastError: STOCK_409,
    });
    const { page, close } = await web.openSignedIn({ language: 'es', size: 'phone', email: ADMIN });
    try {
      const payer = page.getByTestId(`pinned-${dead.id}`).locator('.pinned-customer');
      await payer.waitFor();
      assert.equal((await payer.innerText()).trim(), 'juan.perez@example.com');
      await screenshot(page, 'finance-day-phone-es-pinned-email-payer');
    } finally {
      await close();
    }
  });
});
