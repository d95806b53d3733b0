import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, screenshot, startDashboardServer, SIZES } from '../helpers/browser.js';
import { epaycoFields, sendDelivery, signEpayco, signStripe, stripeEvent, TEST_SECRETS } from '../helpers/signing.js';
import { chromiumForDescribe, openPage, signInThroughDevForm } from '../helpers/web-pig-page.js';
import { DELIVERIES_SERVER } from './deliveries-fixtures.js';
import { OPERATOR } from './fixtures.js';

/**
 * What reached the webhook addresses, on the home, in real Chromium at both sizes and in both
 * languages, after real signed deliveries over HTTP: each provider's deliveries today (a Stripe
 * account configured as `stripe_eu` named as Stripe), the refused ones amber with where they went
 * and what to do, and money in the page's language's digits (MXN 2,300.50 in English). A source
 * since removed from the config keeps its deliveries on the card, by its id, said to be no longer configured,
 * and the events' source filter offers it, so said, and lists its deliveries alone.
 */

const skip = browserSkip();

const WORDS = {
  es: {
    deliveries:
      /^4 Webhooks recibidos hoy 2 · ePayco 1 · old_shop \(ya no configurada\) 1 · Stripe \(stripe_eu\) 4 esta semana de todo tipo: pagos, rechazos, reembolsos…$/,
    refused: /^2 Entregas rechazadas hoy 2 · Stripe \(stripe_eu\) No se guardaron\. .*clave de firma\. 2 esta semana$/,
    mxn: /^MXN MXN\s2\.300,50 1 pago$/,
    allSources: 'Todas las fuentes',
    oldShop: 'old_shop (ya no configurada)',
    auditEmpty:
      'Aún no hay nada registrado: aquí aparecerán los reintentos, los cambios de flags y las alertas marcadas o silenciadas, con quién y cuándo.',
    auditNoMatch: 'Nada coincide con estos filtros.',
  },
  en: {
    deliveries:
      /^4 Webhooks received today 2 · ePayco 1 · old_shop \(no longer configured\) 1 · Stripe \(stripe_eu\) 4 this week of every kind: payments, declines, refunds…$/,
    refused: /^2 Deliveries refused today 2 · Stripe \(stripe_eu\) Not stored\. .*signing key\. 2 this week$/,
    mxn: /^MXN MX\$2,300\.50 1 payment$/,
    allSources: 'All sources',
    oldShop: 'old_shop (no longer configured)',
    auditEmpty: 'Nothing recorded yet: retries, flag changes and acknowledged or muted alerts will show here, with who and when.',
    auditNoMatch: 'Nothing matches these filters.',
  },
} as const;

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).innerText()).replace(/\s+/g, ' ').trim();

describe('Web Pig home: deliveries per provider, refused deliveries, money digits (Chromium, both sizes, both languages)', { skip }, () => {
  const chromium = chromiumForDescribe();

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      test(`${size}, ${language}: deliveries and refusals by provider name; amounts as the page's language writes them`, async () => {
        const server = await startDashboardServer(DELIVERIES_SERVER);
        const { page, seen, close } = await openPage(chromium.browser, { language, size });
        try {
          // Two ePayco confirmations (about no money: not looked up at ePayco here), one Stripe payment in Mexican pesos, a repeat of it (stored
          // once, not counted again), and two deliveries to stripe_eu with a forged signature.
          for (const ref of ['1001', '1002']) {
            const fields = epaycoFields({ x_ref_payco: ref, x_transaction_id: `tx-${ref}` });
            assert.equal(
              (
                await sendDelivery(
                  server.baseUrl,
                  'epayco',
                  signEpayco({ fields, customerId: TEST_SECRETS.epaycoCustomerId, pKey: TEST_SECRETS.epaycoPKey }),
                )
              ).status,
              200,
            );
          }
          const object = { id: 'pi_mx_1', object: 'payment_intent', amount: 230050, amount_received: 230050, currency: 'mxn' };
          const payload = stripeEvent({ id: 'evt_mx_1', object });
          for (let i = 0; i < 2; i++)
            assert.equal(
              (await sendDelivery(server.baseUrl, 'stripe_eu', signStripe({ payload, secret: TEST_SECRETS.stripe }))).status,
              200,
            );
          for (let i = 0; i < 2; i++) {
            const forged = signStripe({ payload: stripeEvent(), secret: 'whsec_not_the_one' });
            assert.equal((await sendDelivery(server.baseUrl, 'stripe_eu', forged)).status, 401);
          }

          // Delivered today to a source the config no longer has (stored before it was removed).
          const now = new Date();
          await server.store.insertEvent({
            source: 'old_shop',
            providerEventId: 'old-shop-1',
            entityKey: null,
            type: 'order.paid',
            transactionStatus: 'accepted',
            occurredAt: now,
            receivedAt: now,
            rawBody: Buffer.from('{}'),
            contentType: 'application/json',
            payload: {},
            summary: {},
          });

          await page.goto(server.baseUrl);
          await signInThroughDevForm(page, OPERATOR);
          await page.getByTestId('home').waitFor();

          assert.match(await text(page, 'count-deliveries'), words.deliveries);
          assert.equal(
            await page.getByTestId('deliveries-by-source').locator('li[data-configured="false"]').getAttribute('data-source'),
            'old_shop',
          );
          assert.match(await text(page, 'count-rejected'), words.refused);
          // Refused deliveries need someone, as the amber cards do; none would be grey.
          assert.match((await page.getByTestId('count-rejected').getAttribute('class')) ?? '', /\bcount-warn\b/);
          assert.match(await text(page, 'money-today-other-MXN'), words.mxn);
          await screenshot(page, `home-deliveries-${size}-${language}`);
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
          }

          // The deliveries card opens today's delivered events; the table and the source filter name Stripe.
          await page.getByTestId('count-deliveries').click();
          await page.waitForFunction(() => new URL(location.href).searchParams.get('origin') === 'webhook');
          const stripeRow = page.locator('tr', { has: page.locator('[data-source="stripe_eu"]') });
          await stripeRow.first().waitFor();
          assert.equal(await stripeRow.count(), 1, 'the repeated delivery is one event');
          assert.equal((await stripeRow.locator('[data-source="stripe_eu"]').innerText()).trim(), 'Stripe (stripe_eu)');
          const sourceFilter = page.getByTestId('source-filter');
          const options = await sourceFilter.locator('option').allInnerTexts();
          assert.deepEqual(options, [words.allSources, 'ePayco', 'Stripe (stripe_eu)', words.oldShop]);
          await screenshot(page, `home-deliveries-${size}-${language}-events`);
          // The removed source's deliveries are listed by it, not only among everyone's.
          await sourceFilter.selectOption('old_shop');
          await page.waitForFunction(() => new URL(location.href).searchParams.get('source') === 'old_shop');
          await page.locator('tr [data-source="stripe_eu"]').waitFor({ state: 'detached' });
          const oldShopRows = page.locator('tbody tr', { has: page.locator('[data-source="old_shop"]') });
          await oldShopRows.first().waitFor();
          assert.equal(await oldShopRows.count(), 1);
          assert.equal(await page.locator('tbody tr').count(), 1, "only old_shop's event");
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `the long choice does not widen the page (${width}px)`);
            // A phone has the room to show the choice whole ("old_shop (ya no config…" was cut at 12rem).
            const { label, needed, room } = await sourceFilter.evaluate((select: HTMLSelectElement) => {
              const style = getComputedStyle(select);
              const context = document.createElement('canvas').getContext('2d')!;
              context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
              const chosen = select.selectedOptions[0]?.text ?? '';
              // The arrow takes about 1.5em at the right.
              const arrow = 1.5 * parseFloat(style.fontSize);
              const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
              return { label: chosen, needed: context.measureText(chosen).width, room: select.clientWidth - padding - arrow };
            });
            assert.equal(label, words.oldShop);
            assert.ok(needed <= room, `"${label}" needs ${Math.ceil(needed)}px, the select shows ${Math.floor(room)}px`);
          }
          await screenshot(page, `home-deliveries-${size}-${language}-removed-source`);

          // A new install's audit log: empty, said so, not blamed on filters nobody set.
          await page.goto(`${server.baseUrl}/#/audit`);
          const nothing = page.getByTestId('audit-nothing');
          await nothing.waitFor();
          assert.equal((await nothing.innerText()).trim(), words.auditEmpty);
          await page.getByTestId('audit-actor').fill('nadie@example.com');
          await page.getByTestId('audit-apply').click();
          await nothing.filter({ hasText: words.auditNoMatch }).waitFor();
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
          await server.close();
        }
      });
    }
  }
});
