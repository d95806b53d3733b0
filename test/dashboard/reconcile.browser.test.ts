import assert from 'node:assert/strict';
import { openSignedIn } from '../helpers/web-pig-page.js';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchBrowser, screenshot, startDashboardServer, type DashboardServer } from '../helpers/browser.js';
import { stripeEvent } from '../helpers/signing.js';
import { AUTH, OPERATOR } from './fixtures.js';
import { OP_COLUMNS, OP_FLAGS, OP_PIPELINES, OP_SOURCES } from './operator-fixtures.js';

/**
 * Reconciliation on Web Pig, in real Chromium at both sizes and in both languages: the events
 * found by reconciliation carry a badge (row and panel), the page says when each source was last
 * reconciled and how many it recovered, and the alert reads in the page's language.
 */
const skip = browserSkip();

const WORDS = {
  es: {
    badge: 'Recuperado',
    origin: 'Conciliación con el proveedor (el webhook nunca llegó)',
    status: 'recuperados: 2 (2 en la última)',
    alert: '2 pagos de Stripe nunca notificados: revise el endpoint del webhook en el proveedor',
  },
  en: {
    badge: 'Recovered',
    origin: 'Reconciliation with the provider (the webhook never arrived)',
    status: 'recovered: 2 (2 in the last run)',
    alert: '2 payments from Stripe never notified: check the webhook endpoint at the provider',
  },
} as const;

describe('Web Pig: events found by reconciliation (Chromium, both sizes, both languages)', { skip }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let found: number;
  let delivered: number;
  let alertId: number;

  before(async () => {
    server = await startDashboardServer({
      columns: OP_COLUMNS,
      flags: OP_FLAGS,
      pipelines: OP_PIPELINES,
      sources: OP_SOURCES,
      auth: AUTH,
      signIn: { kind: 'dev' },
    });
    browser = await launchBrowser();
    const insert = async (origin: 'webhook' | 'reconciliation', name: string) => {
      const event = stripeEvent();
      const result = await server.store.insertEvent({
        source: 'stripe',
        providerEventId: String(event.id),
        entityKey: `pi_${name}`,
        type: 'payment_intent.succeeded',
        transactionStatus: 'accepted',
        occurredAt: new Date(),
        receivedAt: new Date(),
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
    delivered = await insert('webhook', 'Ana');
    found = await insert('reconciliation', 'Bruno');
    await insert('reconciliation', 'Carla');
    const now = new Date();
    await server.store.recordReconciliationStart('stripe', now, { since: new Date(now.getTime() - 48 * 3_600_000), cursor: null });
    await server.store.recordReconciliationProgress('stripe', { since: now, cursor: null }, 2);
    await server.store.recordReconciliationEnd({ source: 'stripe', now, listed: 40, recovered: 2, error: null });
    const alert = await server.store.recordAlert({
      at: now,
      kind: 'custom',
      message: '2 Stripe payments never notified: check the endpoint',
      details: { alert: 'never_notified', source: 'stripe', provider: 'Stripe', count: 2, eventIds: [found, found + 1] },
    });
    alertId = alert.id;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: badge on the row and in the panel, last reconciliation, the alert`, async () => {
        const words = WORDS[language];
        const { page, context } = await openSignedIn(browser, server.baseUrl, { language, size, email: OPERATOR, view: 'events' });
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
          assert.match((await status.textContent()) ?? '', new RegExp(`stripe.*${words.status.replace(/[()]/g, '\\$&')}`));
          await screenshot(page, `reconcile-${size}-${language}-1-events`);

          await row.locator('a.link').click();
          const panel = page.getByTestId('details-panel');
          await panel.waitFor();
          assert.equal(await panel.getByTestId('panel-origin').textContent(), words.origin);
          assert.equal(await panel.getByTestId('reconciled-badge').count(), 1);
          await screenshot(page, `reconcile-${size}-${language}-2-panel`);

          await page.goto(`${server.baseUrl}/#/alerts`);
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
});
