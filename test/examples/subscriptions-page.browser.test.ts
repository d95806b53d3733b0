/**
 * The subscriptions example's page in real Chromium: "Continuar al pago" double-clicked and
 * pressed again in a second tab gives one record, and the MercadoPago approval (the sandbox's
 * preapproval, then the return redirect) activates that record once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { MercadoPagoClient } from '../../examples/subscriptions/mercadopago-client.js';
import { SubscriptionStore } from '../../examples/subscriptions/subscription-store.js';
import { subscriptionsWebPlugin } from '../../examples/subscriptions/web-plugin.js';
import { sandboxPlugin } from '../../src/sandbox/plugin.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { browserSkip, confineToLocalhost, launchBrowser, listenLocal, watchPage } from '../helpers/browser.js';

describe('subscriptions page (Chromium)', { skip: browserSkip() }, () => {
  let mercadopagoApi: FastifyInstance;
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;
  const sandbox = SandboxStore.open(':memory:');
  const subscriptions = new SubscriptionStore(':memory:');

  before(async () => {
    // MercadoPago's API (the sandbox) where the shop's server reads preapprovals from, and the
    // shop's server with the page; both serve the same sandbox records, as one demo server does.
    mercadopagoApi = Fastify({ logger: false });
    await mercadopagoApi.register(sandboxPlugin, { store: sandbox });
    const mercadopago = new MercadoPagoClient({ baseUrl: `${await listenLocal(mercadopagoApi)}/sandbox/mercadopago` });
    app = Fastify({ logger: false });
    await app.register(sandboxPlugin, { store: sandbox });
    await app.register(subscriptionsWebPlugin, { subscriptions, mercadopago });
    baseUrl = await listenLocal(app);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await mercadopagoApi?.close();
    subscriptions.close();
    sandbox.close();
  });

  it('double click and a second tab give one record; the approval activates it once', async () => {
    const context = await browser.newContext();
    await confineToLocalhost(context);
    try {
      const tab = await context.newPage();
      const seen = watchPage(tab);
      await tab.goto(`${baseUrl}/shop/subscriptions/page`);
      await tab.fill('#user', 'user-page');
      await tab.dblclick('#checkout');
      await tab.locator('#rows tr').first().waitFor();
      await tab.waitForFunction(() => /Suscripción #\d+/.test(document.querySelector('#result')?.textContent ?? ''));

      const other = await context.newPage();
      await other.goto(`${baseUrl}/shop/subscriptions/page`);
      await other.fill('#user', 'user-page');
      await other.click('#checkout');
      await other.waitForFunction(() => /ya existía/.test(document.querySelector('#result')?.textContent ?? ''));

      const rows = subscriptions.list({ userId: 'user-page' });
      assert.equal(rows.length, 1, 'three presses, one record');
      assert.equal(rows[0]?.status, 'pending');

      await tab.click('#approve');
      await tab.waitForFunction(() => /Retorno de MercadoPago: activated/.test(document.querySelector('#result')?.textContent ?? ''));
      const [row] = subscriptions.list({ userId: 'user-page' });
      assert.equal(subscriptions.list({ userId: 'user-page' }).length, 1);
      assert.equal(row?.status, 'active');
      assert.equal(row?.activatedBy, 'redirect');
      assert.match(row?.mercadopagoPreapprovalId ?? '', /\S/);
      assert.equal(await tab.locator('#rows tr').count(), 1);
      assert.deepEqual(seen, { dialogs: [], errors: [] });
    } finally {
      await context.close();
    }
  });
});
