import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAuthConfig } from '../../src/config/auth.js';
import { createLoginLink } from '../../src/server/auth/login-links.js';
import { browserSkip, screenshot } from '../helpers/browser.js';
import { VIEWPORTS, webPigInChromium } from '../helpers/web-pig-page.js';
import { AUTH, DEMO_SERVER, OPERATOR } from './fixtures.js';

/**
 * A self-hosted server without an identity provider: the sign-in page offers no OIDC button
 * but says how to get a one-time link, in Spanish and English, on a laptop and a phone; the
 * link printed by `webpig login-link` opens a page whose button lands the person signed in.
 */

const skip = browserSkip();
const LANGUAGES = [
  { language: 'es', help: /Pide a un administrador que ejecute/, button: 'Iniciar sesión' },
  { language: 'en', help: /Ask an admin to run/, button: 'Sign in' },
] as const;

describe('Web Pig in Chromium (sign-in with a one-time link, no identity provider)', { skip }, () => {
  const web = webPigInChromium({ ...DEMO_SERVER, signIn: { kind: 'link' } });

  for (const { language, help } of LANGUAGES) {
    for (const size of ['desktop', 'phone'] as const) {
      const viewport = VIEWPORTS[size];
      test(`the sign-in page (${language}, ${viewport.width}×${viewport.height}) shows how to get a link and no OIDC button`, async () => {
        const { page, seen, close } = await web.openPage({ language, size });
        try {
          await page.goto(web.server.baseUrl);
          const linkHelp = page.getByTestId('link-help');
          await linkHelp.waitFor();
          assert.match((await linkHelp.textContent()) ?? '', help);
          assert.match((await linkHelp.textContent()) ?? '', /webpig login-link/);
          assert.equal(await page.getByTestId('sign-in').count(), 0, 'no OpenID Connect button without OpenID Connect');
          assert.equal(await page.getByTestId('dev-login').count(), 0);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
          await screenshot(page, `link-01-sign-in-${language}-${viewport.width}x${viewport.height}`);
          assert.deepEqual([seen.errors, seen.dialogs], [[], []]);
        } finally {
          await close();
        }
      });
    }
  }

  for (const { language, button } of LANGUAGES) {
    test(`a login link (${language}) opens a page whose button lands the person signed in on the dashboard`, async () => {
      const size = language === 'es' ? 'phone' : 'desktop';
      const viewport = VIEWPORTS[size];
      const { context, page, seen, close } = await web.openPage({ language, size });
      try {
        const link = await createLoginLink(web.server.store, parseAuthConfig(AUTH, {}), {
          email: OPERATOR,
          baseUrl: web.server.baseUrl,
          createdBy: 'cli:test',
          now: new Date(),
        });
        await page.goto(link.url);
        const signIn = page.getByRole('button', { name: button });
        await signIn.waitFor();
        assert.match((await page.textContent('main')) ?? '', new RegExp(OPERATOR.replace('.', '\\.')));
        await screenshot(page, `link-02-landing-${language}-${viewport.width}x${viewport.height}`);
        await signIn.click();
        await page.waitForURL(`${web.server.baseUrl}/`);
        await page.getByTestId('me').filter({ hasText: OPERATOR }).waitFor();
        await screenshot(page, `link-03-signed-in-${language}-${viewport.width}x${viewport.height}`);
        assert.ok((await context.cookies()).some((c) => c.name === 'webpig_session' && c.httpOnly));

        // The same link again (back button, a second tab): refused, with the way to get a new one.
        await page.goto(link.url);
        assert.match((await page.textContent('main')) ?? '', /webpig login-link/);
        assert.equal(await page.getByRole('button', { name: button }).count(), 0);
        await screenshot(page, `link-04-used-${language}-${viewport.width}x${viewport.height}`);
        assert.deepEqual([seen.errors, seen.dialogs], [[], []]);
      } finally {
        await close();
      }
    });
  }
});
