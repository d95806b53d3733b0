import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSkip, screenshot, SIZES } from '../helpers/browser.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { OPERATOR } from './fixtures.js';
import { OPERATOR_DEMO_SERVER } from './operator-fixtures.js';

/**
 * Alerts as issues in real Chromium at desktop and phone sizes, in both languages: a SKU
 * oversold by three orders is one alert that says "3 times"; it is acknowledged and muted, each
 * with a reason; the audit view, filtered by what and subject, shows exactly that mute.
 */

const skip = browserSkip();

const WORDS = {
  es: {
    times: '3 veces',
    mutedBy: 'Silenciada por',
    audit: 'Auditoría',
    muteAction: 'Silenció una alerta',
    oneWeek: '1 semana',
    nothing: 'Nada coincide con estos filtros.',
    alertWord: 'alerta',
  },
  en: {
    times: '3 times',
    mutedBy: 'Muted by',
    audit: 'Audit',
    muteAction: 'Muted an alert',
    oneWeek: '1 week',
    nothing: 'Nothing matches these filters.',
    alertWord: 'alert',
  },
} as const;

/** Today plus `days` in Bogotá, as the page's day fields take it: dd/mm/yyyy. */
function bogotaDay(days: number): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Bogota' }).format(new Date(Date.now() + days * 86_400_000));
  return day.split('-').reverse().join('/');
}

describe(
  'Web Pig alert issues: grouped with a count, acknowledged, muted, audited (Chromium, both sizes, both languages)',
  { skip },
  () => {
    const web = webPigInChromium(OPERATOR_DEMO_SERVER);
    let seq = 0;

    for (const language of ['es', 'en'] as const) {
      for (const size of ['desktop', 'phone'] as const) {
        const words = WORDS[language];
        test(`${size}, ${language}: one oversold SKU, three orders, one alert; acknowledge and mute with reasons; the audit view filtered`, async () => {
          seq += 1;
          const sku = `MUG-${seq}`;
          let grouped = null;
          for (const [index, order] of ['A', 'B', 'C'].entries()) {
            grouped = await web.server.store.recordAlert({
              at: new Date(Date.now() - (3 - index) * 60_000),
              kind: 'oversold',
              subject: `sku:${sku}`,
              eventId: 7000 + seq * 10 + index,
              stage: 'stock',
              message: `${sku} oversold: order ${order} short by 1`,
              details: { orderId: order, lines: [{ sku, shortfall: 1 }] },
            });
          }
          assert.ok(grouped);
          const { page, context, seen } = await web.openSignedIn({ language, size, email: OPERATOR });
          try {
            await page.goto(`${web.server.baseUrl}/#/alerts`);
            const item = page.getByTestId(`alert-${grouped.id}`);
            await item.waitFor();
            assert.equal(await page.locator('[data-testid^="alert-"]').filter({ hasText: sku }).count(), 1, 'three orders, one alert');
            assert.equal(await item.getByTestId('alert-count').textContent(), words.times);
            await screenshot(page, `alert-issues-${size}-${language}-1-grouped`);

            await item.getByTestId('alert-ack-button').click();
            await page.getByTestId('confirm-reason').fill('Proveedor avisado');
            await page.getByTestId('confirm-button').click();
            await item.getByTestId('alert-ack').waitFor();

            await item.getByTestId('alert-mute-button').click();
            await page.getByTestId('mute-minutes').selectOption({ label: words.oneWeek });
            await page.getByTestId('confirm-reason').fill('Llega inventario el lunes');
            await screenshot(page, `alert-issues-${size}-${language}-2-mute-dialog`);
            await page.getByTestId('confirm-button').click();
            const muted = item.getByTestId('alert-muted');
            await muted.waitFor();
            assert.match((await muted.textContent()) ?? '', new RegExp(`^${words.mutedBy} ${OPERATOR} .+: “Llega inventario el lunes”$`));
            assert.equal(await item.getByTestId('alert-mute-button').count(), 0, 'muted: no second mute');
            const stored = (await web.server.store.listAlerts()).items.find((a) => a.id === grouped.id);
            const weekMs = (stored?.mutedUntil?.getTime() ?? 0) - (stored?.mutedAt?.getTime() ?? 0);
            assert.equal(weekMs, 7 * 24 * 60 * 60_000, 'muted for the week chosen');
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES[size].width, `no sideways scrolling (page is ${width}px wide)`);
            await screenshot(page, `alert-issues-${size}-${language}-3-muted`);

            await page.getByRole('link', { name: words.audit }).click();
            await page.getByTestId('audit-list').waitFor();
            await screenshot(page, `alert-issues-${size}-${language}-4-audit-hint`);
            await page.getByTestId('audit-what').selectOption('alert.mute');
            // The alert in words, as the hint says ("alerta 12"), not the log's code.
            await page.getByTestId('audit-subject').fill(`${words.alertWord} ${grouped.id}`);
            await page.getByTestId('audit-actor').fill(OPERATOR);
            // Today in Bogotá, typed day first: the audit log's days are the dashboard's time zone's.
            await page.getByTestId('audit-since').fill(bogotaDay(0));
            await page.getByTestId('audit-apply').click();
            const rows = page.getByTestId('audit-list').getByTestId('audit-row');
            await page.waitForFunction((id) => {
              const shown = [...document.querySelectorAll('[data-testid="audit-row"]')];
              return (
                // The subject is a link to the alert, its code in the link's title.
                shown.length > 0 &&
                shown.every((row) => row.querySelector(`a[title="alert:${id}"]`) !== null && row.textContent?.includes('Llega'))
              );
            }, grouped.id);
            assert.equal(await rows.count(), 1, "only this alert's mute");
            const row = (await rows.first().textContent()) ?? '';
            assert.ok(row.includes(OPERATOR) && row.includes(words.muteAction) && row.includes('Llega inventario el lunes'), row);
            const auditWidth = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(auditWidth <= SIZES[size].width, `no sideways scrolling on the audit view (page is ${auditWidth}px wide)`);
            await screenshot(page, `alert-issues-${size}-${language}-4-audit-filtered`);
            // The filters' row is evenly spaced: between one field's box and the next on the same
            // line there is the same gap (no label wider than its field, as "Desde" once was).
            const gaps = await page.getByTestId('audit-filters').evaluate((form) => {
              const items = [...form.children].map((item) => {
                const box = item.getBoundingClientRect();
                const controls = [...item.querySelectorAll('input, select, button')].map((control) => control.getBoundingClientRect());
                return { top: Math.round(box.top), left: box.left, right: Math.max(...controls.map((control) => control.right)) };
              });
              return items.slice(1).flatMap((item, index) => {
                const before = items[index];
                return before && before.top === item.top ? [Math.round(item.left - before.right)] : [];
              });
            });
            assert.ok(gaps.length > 0, 'fields side by side');
            assert.ok(
              gaps.every((gap) => Math.abs(gap - (gaps[0] ?? 0)) <= 1),
              `the gaps between the filters are even (${gaps.join(', ')} px)`,
            );
            // The day after today: nothing yet.
            await page.getByTestId('audit-since').fill(bogotaDay(1));
            await page.getByTestId('audit-apply').click();
            await page.getByTestId('audit-view').getByText(words.nothing).waitFor();
            assert.deepEqual(seen.errors, []);
          } finally {
            await context.close();
          }
        });
      }
    }
  },
);
