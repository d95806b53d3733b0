import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { VIEWPORTS, webPigInChromium } from '../helpers/web-pig-page.js';
import { DEMO_SERVER, OPERATOR, seedDeadEvent } from './fixtures.js';

/**
 * An id, a reference or a customer's name with a bidirectional override (U+202E) or a control
 * character (U+001B; a NUL is stored as U+FFFD already, src/store/storable.ts): "ref-1<U+202E>9876" would read "ref-16789", another payment's id. Web Pig writes
 * such characters out as [U+202E], in the list, the details panel and the payload, in Spanish
 * and English, on a laptop and a phone.
 */

const skip = browserSkip();
const RLO = '\u202e';

describe('Web Pig in Chromium (hidden characters in ids, references and names)', { skip }, () => {
  let spoofId = 0;
  const web = webPigInChromium(DEMO_SERVER, async ({ server }) => {
    await seedDeadEvent(server.store, 'ref-16789', 'Laura Gómez');
    spoofId = (await seedDeadEvent(server.store, `ref-1${RLO}9876`, `Laura${RLO} zemóG\u001b`)).id;
  });

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const viewport = VIEWPORTS[size];
      test(`shows U+202E and U+001B as [U+202E] and [U+001B] (${language}, ${viewport.width}×${viewport.height})`, async () => {
        const { page, seen, close } = await web.openSignedIn({ language, size, email: OPERATOR });
        try {
          await page.goto(`${web.server.baseUrl}/#/events`);
          const row = page.locator(`tr[data-event-id="${spoofId}"]`);
          await row.waitFor();
          assert.match((await row.textContent()) ?? '', /Laura\[U\+202E\] zemóG\[U\+001B\]/);
          await screenshot(page, `hidden-01-list-${language}-${viewport.width}x${viewport.height}`);

          await row.locator('.id-cell a').click();
          const panel = page.getByTestId('details-panel');
          await panel.waitFor();
          await page.getByTestId('summary').waitFor();
          const panelText = (await panel.textContent()) ?? '';
          assert.match(panelText, /ref-1\[U\+202E\]9876/, 'the provider id, written out');
          assert.match(panelText, /Laura\[U\+202E\] zemóG\[U\+001B\]/);
          assert.match((await page.getByTestId('raw-payload').textContent()) ?? '', /ref-1\[U\+202E\]9876/);
          const body = await page.evaluate(() => document.body.innerText);
          assert.ok(!body.includes(RLO) && !body.includes('\u001b'), 'no override nor control character anywhere on the page');
          await screenshot(page, `hidden-02-details-${language}-${viewport.width}x${viewport.height}`);
          assert.deepEqual([seen.errors, seen.dialogs], [[], []]);
        } finally {
          await close();
        }
      });
    }
  }
});
