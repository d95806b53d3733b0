import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, screenshot, startDashboardServer, SIZES } from '../helpers/browser.js';
import { epaycoFields, sendDelivery, signEpayco, signStripe, stripeEvent, TEST_SECRETS } from '../helpers/signing.js';
import { chromiumForDescribe, openPage, signInThroughDevForm } from '../helpers/web-pig-page.js';
import { DELIVERIES_SERVER } from './deliveries-fixtures.js';

/**
 * The refused deliveries, in real Chromium at both sizes and in both languages, after real
 * refused requests over HTTP: the home's amber card opens `#/refused`, which says for each one
 * when, where, why in plain words and what to do, to a viewer (the role that reads events). What
 * a refusal holds was written by its sender: a hostile address and body show as characters (no
 * element made, no script run) with their invisible characters visible, and the API returns no
 * signature.
 */

const skip = browserSkip();

/** Not in any role: the default role, viewer (events:read only). */
const VIEWER = 'contador@sentiretaller.com';
const HOSTILE_SOURCE = '<img src=x onerror=window.__pwned=1>\u202Egpj.exe';
const HOSTILE_BODY = '<script>window.__pwned=2</script>\u0007\u200B';

const WORDS = {
  es: {
    title: 'Entregas rechazadas',
    badSignature: 'La firma no coincide',
    unknownSource: 'Enviada a una dirección que no corresponde a ningún proveedor configurado.',
    tooLarge: 'El contenido era demasiado grande.',
    unknownReference: 'ePayco no conoce esa referencia',
    stripe: 'Stripe (stripe_eu)',
    busy: '60 hoy · 60 esta semana',
    shown: '50 mostradas, la más reciente primero',
  },
  en: {
    title: 'Refused deliveries',
    badSignature: 'Bad signature',
    unknownSource: 'Sent to an address that belongs to no configured provider.',
    tooLarge: 'The body was too large.',
    unknownReference: 'Unknown reference at ePayco',
    stripe: 'Stripe (stripe_eu)',
    busy: '60 today · 60 this week',
    shown: '50 shown, newest first',
  },
} as const;

/** Refusals of five kinds, each sent over HTTP as a sender would (the ePayco look-up's as its source records it). */
async function refuseSome(server: Awaited<ReturnType<typeof startDashboardServer>>): Promise<string> {
  const forged = signStripe({ payload: stripeEvent(), secret: 'whsec_not_the_one' });
  assert.equal((await sendDelivery(server.baseUrl, 'stripe_eu', forged)).status, 401);
  const epaycoForged = signEpayco({ fields: epaycoFields(), customerId: TEST_SECRETS.epaycoCustomerId, pKey: 'not-the-p-key' });
  assert.equal((await sendDelivery(server.baseUrl, 'epayco', epaycoForged)).status, 401);
  const signature = new URLSearchParams(epaycoForged.body).get('x_signature') ?? '';
  assert.match(signature, /^[0-9a-f]{64}$/, 'the forged ePayco body carries a signature');
  const big = await fetch(`${server.baseUrl}/webhooks/epayco`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: 'x'.repeat(2 * 1024 * 1024),
  });
  assert.equal(big.status, 413);
  // There is no ePayco here to ask: its refusal is recorded as the ingest plugin records it.
  await server.store.recordRejection({
    at: new Date(),
    source: 'epayco',
    httpStatus: 401,
    reason: 'VALIDATION_MISMATCH: ePayco does not know the reference 98765432',
    remoteAddress: '127.0.0.1',
    firstBytes: 'x_ref_payco=98765432&x_signature=[REDACTED]',
  });
  const hostile = await fetch(`${server.baseUrl}/webhooks/${encodeURIComponent(HOSTILE_SOURCE)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/html' },
    body: HOSTILE_BODY,
  });
  assert.equal(hostile.status, 404);
  return signature;
}

async function signIn(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(baseUrl);
  await signInThroughDevForm(page, email);
  await page.getByTestId('home').waitFor();
}

describe('Web Pig: refused deliveries, in words, from the home card (Chromium, both sizes, both languages)', { skip }, () => {
  const chromium = chromiumForDescribe();

  for (const language of ['es', 'en'] as const) {
    for (const size of ['desktop', 'phone'] as const) {
      const words = WORDS[language];
      test(`${size}, ${language}: the card opens each refusal's when, where, why and what to do; hostile data shown as text`, async () => {
        const server = await startDashboardServer(DELIVERIES_SERVER);
        const { page, seen, close } = await openPage(chromium.browser, { language, size });
        try {
          const signature = await refuseSome(server);
          await signIn(page, server.baseUrl, VIEWER);

          // The API a viewer reads: codes, pages, and no signature anywhere.
          const first = (await (await page.request.get(`${server.baseUrl}/api/rejections?limit=3`)).json()) as {
            items: Array<{ id: number; code: string; firstBytes: string; reason: string }>;
            nextBefore: number | null;
          };
          assert.deepEqual(
            first.items.map((item) => item.code),
            ['UNKNOWN_SOURCE', 'VALIDATION_MISMATCH', 'BODY_TOO_LARGE'],
          );
          assert.equal(first.nextBefore, first.items[2]?.id);
          const rest = (await (await page.request.get(`${server.baseUrl}/api/rejections?limit=3&before=${first.nextBefore}`)).json()) as {
            items: Array<{ code: string }>;
            nextBefore: number | null;
          };
          assert.deepEqual(
            rest.items.map((item) => item.code),
            ['SIGNATURE_INVALID', 'SIGNATURE_INVALID'],
          );
          assert.equal(rest.nextBefore, null);
          const all = await (await page.request.get(`${server.baseUrl}/api/rejections`)).text();
          assert.ok(!all.includes(signature), 'no signature is stored or returned');

          await page.getByTestId('count-rejected').click();
          await page.waitForFunction(() => location.hash === '#/refused');
          const view = page.getByTestId('refused-view');
          await view.getByTestId('refusal').nth(4).waitFor();
          assert.equal(await view.getByTestId('refusal').count(), 5);
          assert.equal(await view.getByTestId('refused-more').count(), 0, 'all on one page: nothing older to offer');
          assert.equal((await view.locator('h2').innerText()).trim(), words.title);

          const byCode = (code: string) => view.locator(`[data-testid="refusal"][data-code="${code}"]`);
          assert.ok((await byCode('SIGNATURE_INVALID').first().getByTestId('refusal-why').innerText()).startsWith(words.badSignature));
          assert.deepEqual(
            (await byCode('SIGNATURE_INVALID').getByTestId('refusal-source').allInnerTexts()).sort(),
            ['ePayco', words.stripe].sort(),
          );
          assert.equal((await byCode('BODY_TOO_LARGE').getByTestId('refusal-why').innerText()).trim(), words.tooLarge);
          assert.ok((await byCode('VALIDATION_MISMATCH').getByTestId('refusal-why').innerText()).startsWith(words.unknownReference));
          const hostile = byCode('UNKNOWN_SOURCE');
          assert.equal((await hostile.getByTestId('refusal-why').innerText()).trim(), words.unknownSource);
          assert.ok((await hostile.getByTestId('refusal-todo').innerText()).length > 20, 'says what to do');

          // The hostile address and body: characters on screen, nothing made of them, nothing run.
          assert.equal(
            (await hostile.getByTestId('refusal-source').innerText()).trim(),
            '<img src=x onerror=window.__pwned=1>[U+202E]gpj.exe',
          );
          await hostile.locator('summary').click();
          assert.equal((await hostile.getByTestId('refusal-body').innerText()).trim(), '<script>window.__pwned=2</script>[U+0007][U+200B]');
          assert.equal(await view.locator('img, script').count(), 0, 'no element is made of the data');
          assert.equal(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
          const pageText = await page.locator('body').innerText();
          assert.ok(!pageText.includes(signature), 'no signature on the page');
          // eslint-disable-next-line no-control-regex -- the bell character is what it looks for
          assert.ok(!/[\u202A-\u202E\u2066-\u2069\u200B\u0007]/.test(pageText), 'no invisible character reaches the screen');
          await screenshot(page, `refused-${size}-${language}`);
          if (size === 'phone') {
            const width = await page.evaluate(() => document.documentElement.scrollWidth);
            assert.ok(width <= SIZES.phone.width, `no sideways scrolling on a phone (page is ${width}px wide)`);
          }
          // The home's card names the hostile address visibly too.
          await page.goto(`${server.baseUrl}/#/home`);
          const card = await page.getByTestId('rejected-by-source').innerText();
          assert.ok(!/[\u202A-\u202E]/.test(card), 'the card shows the bidi override, not obeys it');

          // A busy day: more refusals than the view loads at once (50). Its counts, and the home
          // card's, are the whole log's: 60 today, not the 50 shown; one of last month is in neither.
          const refusal = {
            source: 'stripe_eu',
            httpStatus: 401,
            reason: 'SIGNATURE_INVALID: bad',
            remoteAddress: '127.0.0.1',
            firstBytes: '{}',
          };
          for (let i = 0; i < 55; i++) await server.store.recordRejection({ ...refusal, at: new Date() });
          await server.store.recordRejection({ ...refusal, at: new Date(Date.now() - 30 * 24 * 3_600_000) });
          await page.reload();
          assert.equal((await page.getByTestId('count-rejected').locator('.count-value').innerText()).trim(), '60');
          await page.getByTestId('count-rejected').click();
          await view.getByTestId('refusal').nth(49).waitFor();
          assert.equal(await view.getByTestId('refusal').count(), 50);
          assert.equal((await view.getByTestId('refused-counts').innerText()).replace(/\s+/g, ' ').trim(), words.busy);
          assert.equal((await view.getByTestId('refused-shown').innerText()).trim(), words.shown);
          await screenshot(page, `refused-${size}-${language}-busy`);
          assert.deepEqual(seen.errors, []);
        } finally {
          await close();
          await server.close();
        }
      });
    }
  }
});
