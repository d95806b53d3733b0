import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, confineToLocalhost, screenshot, watchPage } from '../helpers/browser.js';
import { signInThroughDevForm, webPigInChromium } from '../helpers/web-pig-page.js';
import { DEMO_SERVER, OPERATOR, seedDeadEvent } from './fixtures.js';

/**
 * Demo mode: the clearly marked development sign-in, and what a person without permissions
 * sees (no retry or re-run buttons, every flag disabled with its reason).
 */

const skip = browserSkip();
const VIEWER = 'ana@sentiretaller.com';

describe('Web Pig in Chromium (demo mode, dev sign-in, permissions)', { skip }, () => {
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  let deadEventId: number;

  const web = webPigInChromium(DEMO_SERVER, async ({ server, browser }) => {
    deadEventId = (await seedDeadEvent(server.store, 'seed-dead-demo', 'Carlos Ruiz')).id;
    // More events than one page holds (50), stored after the dead one: it is on page two.
    const yesterday = Date.now() - 24 * 3600_000;
    await server.store.insertEvents(
      Array.from({ length: 55 }, (_, index) => ({
        source: 'epayco',
        providerEventId: `old-${index}`,
        entityKey: `old-${index}`,
        type: 'transaction.accepted',
        transactionStatus: 'accepted' as const,
        occurredAt: new Date(yesterday + index * 1000),
        receivedAt: new Date(yesterday + index * 1000),
        rawBody: Buffer.from('{}'),
        contentType: 'application/json',
        payload: {},
        summary: { customer: { name: `Cliente ${index}` }, amount: 1000 * index },
      })),
    );
    const context = await browser.newContext({ locale: 'es-CO', viewport: { width: 1280, height: 800 } });
    await confineToLocalhost(context);
    page = await context.newPage();
    seen = watchPage(page);
  });

  test('the sign-in screen shows the marked development sign-in, which signs a viewer in', async () => {
    await page.goto(web.server.baseUrl);
    const form = page.getByTestId('dev-login');
    await form.waitFor();
    assert.match((await form.textContent()) ?? '', /Inicio de sesión de desarrollo \(solo demo\)/);
    await screenshot(page, 'demo-01-dev-sign-in');
    await signInThroughDevForm(page, VIEWER);
    await page.getByTestId('home').waitFor();
    await page.locator('a[href="#/events"]').click();
    await page.locator('table.events tbody tr').first().waitFor();
    await screenshot(page, 'demo-02-viewer');
  });

  test('pages through older events with "load more"', async () => {
    const rows = page.locator('table.events tbody tr');
    assert.equal(await rows.count(), 50);
    assert.match((await rows.first().textContent()) ?? '', /Cliente 54/, 'newest first');
    assert.equal(await page.locator(`tr[data-event-id="${deadEventId}"]`).count(), 0, 'the oldest is on page two');
    await page.getByRole('button', { name: 'Cargar más' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 56);
    assert.equal(await page.getByRole('button', { name: 'Cargar más' }).count(), 0, 'no more pages');
    assert.equal(await rows.last().getAttribute('data-event-id'), String(deadEventId), 'oldest last');
  });

  test('a viewer gets no retry or re-run buttons', async () => {
    const row = page.locator(`tr[data-event-id="${deadEventId}"]`);
    assert.match((await row.textContent()) ?? '', /Carlos Ruiz/);
    assert.equal(await row.getByTestId(`retry-${deadEventId}`).count(), 0);
    await row.locator('td[data-column="crm"] button').click();
    const panel = page.getByTestId('details-panel');
    await panel.locator('section[data-stage="crm_upsert"]').waitFor();
    assert.equal(await panel.getByRole('button', { name: /Volver a ejecutar/ }).count(), 0);
    await page.keyboard.press('Escape');
  });

  test('a viewer sees every flag disabled, each with its reason', async () => {
    await page.locator('a[href="#/flags"]').click();
    await page.getByTestId('flags-panel').waitFor();
    for (const key of ['MEMBERSHIPS_ENABLED', 'WORLDOFFICE_DIAN_ENABLED']) {
      assert.equal(await page.locator(`#flag-${key}`).isDisabled(), true, key);
      const reason = page.locator(`li[data-flag="${key}"] [data-testid="flag-reason"]`);
      const expected = key === 'MEMBERSHIPS_ENABLED' ? 'admin1@sentiretaller\\.com' : 'operator';
      assert.match((await reason.textContent()) ?? '', new RegExp(`^Solo pueden cambiarlo: ${expected}$`));
    }
    await screenshot(page, 'demo-03-viewer-flags');
  });

  test('signing out and in as an operator brings the retry and re-run buttons', async () => {
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await signInThroughDevForm(page, OPERATOR);
    await page.locator('a[href="#/events"]').click();
    await page.getByRole('button', { name: 'Cargar más' }).click();
    const row = page.locator(`tr[data-event-id="${deadEventId}"]`);
    await row.getByTestId(`retry-${deadEventId}`).waitFor();
    await row.locator('td[data-column="crm"] button').click();
    const panel = page.getByTestId('details-panel');
    await panel.getByRole('button', { name: 'Volver a ejecutar crm_upsert' }).waitFor();
    await screenshot(page, 'demo-04-operator');
    await panel.getByRole('button', { name: 'Volver a ejecutar crm_upsert' }).click();
    // A re-run asks first, with what will run and a reason (kept in the event's history).
    const dialog = page.getByTestId('rerun-dialog');
    await dialog.getByTestId('plan').waitFor();
    await dialog.getByTestId('rerun-reason').fill('el CRM volvió');
    await dialog.getByTestId('rerun-confirm').click();
    await page.locator('[data-testid="notice"][role="status"]').waitFor();
    const checkpoint = (await web.server.store.getCheckpoints(deadEventId)).find((c) => c.stage === 'crm_upsert');
    assert.equal(checkpoint?.status, 'pending', 're-run puts the stage back to pending');
    assert.equal((await web.server.store.getEvent(deadEventId))?.status, 'queued');
  });

  test('a session ended on the server brings back the sign-in screen', async () => {
    await page.keyboard.press('Escape');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'webpig_session');
    assert.ok(cookie, 'signed in with a session cookie');
    await web.server.store.deleteSession(cookie.value);
    // Any request of the page notices the ended session: this click's, or a live update's that
    // came first (the alerts list reloads on each one), which has already taken the tabs away.
    await page
      .locator('a[href="#/alerts"]')
      .click({ timeout: 10_000 })
      .catch(async (err: unknown) => {
        if (!(await page.getByTestId('dev-login').isVisible())) throw err;
      });
    await page.getByTestId('dev-login').waitFor();
    await screenshot(page, 'demo-05-session-ended');
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(seen.errors, []);
  });
});
