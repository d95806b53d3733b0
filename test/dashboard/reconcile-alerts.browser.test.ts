import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { checkAlertConditions } from '../../src/engine/alert-conditions.js';
import { raiseRunFailedAlert } from '../../src/engine/reconcile-alerts.js';
import { ProviderApiError } from '../../src/sources/listing/provider-list.js';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { webPigInChromium } from '../helpers/web-pig-page.js';
import { OPERATOR } from './fixtures.js';
import { OPERATOR_DEMO_SERVER } from './operator-fixtures.js';

/**
 * Reconciliation's alerts on Web Pig, in real Chromium at both sizes and in both languages: a
 * scheduled reconciliation that stopped finishing (raised by the engine's periodic check) reads
 * as "Conciliación atrasada" / "Reconciliation overdue" in plain words, and the command to run —
 * in it and in a stopped run's alert — is code: monospace, whole on its line, never broken at
 * its hyphens like prose, and inside the alert's box even on a phone.
 */
const skip = browserSkip();
const MINUTE = 60_000;

/** A date as the alert writes it, to the minute: 05/12/2026, 2:03 p. m. / Dec 5, 2026, 14:03. */
const ES_DAY = String.raw`\d{2}/\d{2}/\d{4}, \d{1,2}:\d{2}\s?[ap]\.\s?m\.`;
const EN_DAY = String.raw`[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2}`;

/** How the command sits on the page: its font, how many lines it takes, whether it stays within its alert. */
async function commandLayout(item: Locator) {
  return item.getByTestId('alert-command').evaluate((code) => {
    const box = code.getBoundingClientRect();
    const card = (code.closest('li') as HTMLElement).getBoundingClientRect();
    const style = getComputedStyle(code);
    return {
      tag: code.tagName,
      text: code.textContent,
      monospace: /mono/i.test(style.fontFamily),
      // One line: its height is one line's, whatever the font.
      lines: Math.round(
        box.height / parseFloat(style.lineHeight === 'normal' ? String(parseFloat(style.fontSize) * 1.2) : style.lineHeight),
      ),
      inside: box.left >= card.left && box.right <= card.right,
      // The full stop after it stays on its line: no lone '.' below a command that fills a phone's line.
      stopBeside: code.parentElement?.getClientRects().length === 1 && !(code.parentElement.nextSibling?.textContent ?? '').startsWith('.'),
    };
  });
}

/** The command `webpig reconcile --source <source>` is code: monospace, one line, inside its alert, its full stop beside it. */
async function assertCommandAsCode(item: Locator, source: string): Promise<void> {
  assert.deepEqual(await commandLayout(item), {
    tag: 'CODE',
    text: `webpig reconcile --source ${source}`,
    monospace: true,
    lines: 1,
    inside: true,
    stopBeside: true,
  });
}

describe('Web Pig: reconciliation alerts, their command as code (Chromium, both sizes, both languages)', { skip }, () => {
  const web = webPigInChromium(OPERATOR_DEMO_SERVER);

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      test(`${size}, ${language}: an overdue reconciliation says since when, what it means and what to do, the command as code`, async () => {
        // The longest name the brief's phone case has: the command must not wrap at its hyphens.
        const source = `stripe-${language}-${size}`;
        const finishedAt = new Date(Date.now() - 2 * 60 * MINUTE);
        const owner = 'web-1|pid:[4026531836]|4242|6f1c';
        await web.server.store.claimReconciliationRun({
          source,
          owner,
          now: finishedAt,
          leaseUntil: new Date(finishedAt.getTime() + MINUTE),
        });
        await web.server.store.recordReconciliationStart(
          source,
          finishedAt,
          { since: new Date(finishedAt.getTime() - 60 * MINUTE), cursor: null },
          owner,
        );
        assert.ok(await web.server.store.recordReconciliationEnd({ source, now: finishedAt, listed: 3, recovered: 0, error: null }, owner));
        await web.server.store.releaseReconciliationRun(source, owner);
        // The worker's periodic check, given its schedule: last finished 2 h ago, every 15 min.
        await checkAlertConditions({ store: web.server.store, reconcile: { settings: { [source]: { every: '15m' } } } }, new Date());
        const stored = (await web.server.store.listAlerts({ unresolvedOnly: true })).items.find(
          (a) => a.subject === `reconcile-overdue:${source}`,
        );
        assert.ok(stored, 'the check raised it');

        const { page, context, seen } = await web.openSignedIn({ language, size, email: OPERATOR });
        try {
          await page.goto(`${web.server.baseUrl}/#/alerts`);
          const item = page.getByTestId(`alert-${stored.id}`);
          await item.waitFor();
          assert.equal(
            await item.locator('.badge').first().textContent(),
            language === 'es' ? 'Conciliación atrasada' : 'Reconciliation overdue',
          );
          const text = ((await item.locator(':scope > div').first().textContent()) ?? '').replace(/\s+/g, ' ');
          assert.match(
            text,
            language === 'es'
              ? new RegExp(
                  `^La última conciliación de ${source} que terminó fue el ${ES_DAY}, y debería hacerse cada 15 min: los pagos cuyo webhook se perdió desde entonces no se están buscando\\. ` +
                    `Pida a quien administra webpig que revise que el worker esté en marcha y lea sus registros; mientras tanto, se puede ejecutar a mano: webpig reconcile --source ${source}\\.$`,
                )
              : new RegExp(
                  `^The last reconciliation of ${source} that finished was on ${EN_DAY}, though it should run every 15 min: payments whose webhook was lost since then are not being looked for\\. ` +
                    `Ask whoever runs webpig to check that its worker is running and read its logs; meanwhile, it can be run by hand: webpig reconcile --source ${source}\\.$`,
                ),
          );
          assert.equal(await item.locator('details.technical').count(), 0, 'nothing technical to fold: the text says it all');
          await assertCommandAsCode(item, source);
          await item.scrollIntoViewIfNeeded();
          await screenshot(page, `reconcile-overdue-${size}-${language}`);
          assert.deepEqual(seen, { dialogs: [], errors: [] });
        } finally {
          await context.close();
        }
      });

      test(`${size}, ${language}: a stopped run's alert shows its command as code too`, async () => {
        const source = `stripe-${language}-${size}`;
        const error = new ProviderApiError(503, 'Stripe: GET /v1/events answered 503: upstream unavailable');
        await raiseRunFailedAlert(
          web.server.store,
          { source, provider: 'Stripe', since: new Date(Date.now() - 48 * 60 * MINUTE), error },
          new Date(),
        );
        const stored = (await web.server.store.listAlerts({ unresolvedOnly: true })).items.find(
          (a) => a.subject === `reconcile-failed:${source}`,
        );
        assert.ok(stored);
        const { page, context } = await web.openSignedIn({ language, size, email: OPERATOR });
        try {
          await page.goto(`${web.server.baseUrl}/#/alerts`);
          const item = page.getByTestId(`alert-${stored.id}`);
          await item.waitFor();
          await assertCommandAsCode(item, source);
          const text = ((await item.locator(':scope > div').first().textContent()) ?? '').replace(/\s+/g, ' ');
          assert.match(text, new RegExp(`(ejecute ahora|or run) webpig reconcile --source ${source}( now)?\\.$`));
          await item.scrollIntoViewIfNeeded();
          await screenshot(page, `reconcile-failed-command-${size}-${language}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
