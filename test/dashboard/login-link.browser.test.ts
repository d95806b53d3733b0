import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseAuthConfig } from '../../src/config/auth.js';
import { createLoginLink } from '../../src/server/auth/login-links.js';
import {
  browserSkip,
  confineToLocalhost,
  launchBrowser,
  screenshot,
  startDashboardServer,
  watchPage,
  type DashboardServer,
} from '../helpers/browser.js';
import { AUTH, COLUMNS, FLAGS, OPERATOR, PIPELINES, SOURCES } from './fixtures.js';

/**
 * A self-hosted server without an identity provider: the sign-in page offers no OIDC button
 * but says how to get a one-time link, in Spanish and English, on a laptop and a phone; the
 * link printed by `webpig login-link` opens a page whose button lands the person signed in.
 */

const skip = browserSkip();
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 390, height: 844 },
];
const LANGUAGES = [
  { language: 'es', locale: 'es-CO', help: /Pide a un administrador que ejecute/, button: 'Iniciar sesión' },
  { language: 'en', locale: 'en-US', help: /Ask an admin to run/, button: 'Sign in' },
] as const;

describe('Web Pig in Chromium (sign-in with a one-time link, no identity provider)', { skip }, () => {
  let server: DashboardServer;
  let browser: Browser;

  before(async () => {
    server = await startDashboardServer({
      columns: COLUMNS,
      flags: FLAGS,
      pipelines: PIPELINES,
      sources: SOURCES,
      auth: AUTH,
      signIn: { kind: 'link' },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const newPage = async (locale: string, viewport: { width: number; height: number }) => {
    const context = await browser.newContext({ locale, viewport });
    await confineToLocalhost(context);
    const page = await context.newPage();
    return { context, page, seen: watchPage(page) };
  };

  for (const { language, locale, help } of LANGUAGES) {
    for (const viewport of VIEWPORTS) {
      test(`the sign-in page (${language}, ${viewport.width}×${viewport.height}) shows how to get a link and no OIDC button`, async () => {
        const { context, page, seen } = await newPage(locale, viewport);
        try {
          await page.goto(server.baseUrl);
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
          await context.close();
        }
      });
    }
  }

  for (const { language, locale, button } of LANGUAGES) {
    test(`a login link (${language}) opens a page whose button lands the person signed in on the dashboard`, async () => {
      const viewport = language === 'es' ? { width: 390, height: 844 } : { width: 1366, height: 768 };
      const { context, page, seen } = await newPage(locale, viewport);
      try {
        const link = await createLoginLink(server.store, parseAuthConfig(AUTH, {}), {
          email: OPERATOR,
          baseUrl: server.baseUrl,
          createdBy: 'cli:test',
          now: new Date(),
        });
        await page.goto(link.url);
        const signIn = page.getByRole('button', { name: button });
        await signIn.waitFor();
        assert.match((await page.textContent('main')) ?? '', new RegExp(OPERATOR.replace('.', '\\.')));
        await screenshot(page, `link-02-landing-${language}-${viewport.width}x${viewport.height}`);
        await signIn.click();
        await page.waitForURL(`${server.baseUrl}/`);
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
        await context.close();
      }
    });
  }
});
