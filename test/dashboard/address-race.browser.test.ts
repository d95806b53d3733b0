import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  browserSkip,
  confineToLocalhost,
  launchBrowser,
  startDashboardServer,
  watchPage,
  type DashboardServer,
} from '../helpers/browser.js';
import { AUTH, OPERATOR } from './fixtures.js';
import { OP_COLUMNS, OP_FLAGS, OP_PIPELINES, OP_SOURCES } from './operator-fixtures.js';

/**
 * The address changed in the moment between Web Pig's first render and the start of its
 * listening for address changes (a link followed as soon as the page showed; a test that
 * navigates at once under a loaded CI machine) must still open the view it names. It once did
 * not: the page stayed on the home view and the alerts never showed.
 */

const skip = browserSkip();

describe('Web Pig follows an address changed while it was starting (Chromium)', { skip }, () => {
  let server: DashboardServer;
  let browser: Browser;

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
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('#/alerts set the instant the signed-in page first renders opens the alerts', async () => {
    const alert = await server.store.recordAlert({ at: new Date(), kind: 'dead', eventId: 4242, message: 'event 4242 is dead' });
    const context = await browser.newContext({ locale: 'es-CO', viewport: { width: 1366, height: 768 } });
    await confineToLocalhost(context);
    // Runs before any of the page's scripts: the moment the signed-in header first appears (a
    // DOM mutation, seen before the framework's effects run), the address moves to the alerts.
    await context.addInitScript(() => {
      const observer = new MutationObserver(() => {
        if (!document.querySelector('[data-testid="me"]')) return;
        observer.disconnect();
        location.hash = '#/alerts';
      });
      document.addEventListener('DOMContentLoaded', () => observer.observe(document.body, { childList: true, subtree: true }));
    });
    const page = await context.newPage();
    const seen = watchPage(page);
    try {
      await page.goto(server.baseUrl);
      const form = page.getByTestId('dev-login');
      await form.waitFor();
      await form.locator('input[name="email"]').fill(OPERATOR);
      await form.locator('button[type="submit"]').click();
      await page.getByTestId('me').filter({ hasText: OPERATOR }).waitFor();
      assert.equal(new URL(page.url()).hash, '#/alerts');
      await page.getByTestId(`alert-${alert.id}`).waitFor({ timeout: 10_000 });
      assert.deepEqual(seen.errors, []);
    } finally {
      await context.close();
    }
  });
});
