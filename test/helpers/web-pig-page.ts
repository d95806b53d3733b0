import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  confineToLocalhost,
  launchBrowser,
  SIZES,
  startDashboardServer,
  watchPage,
  type DashboardServer,
  type DashboardServerOptions,
} from './browser.js';

/** The two sizes every dashboard change is checked at: a laptop and a phone (browser.ts's SIZES). */
export const VIEWPORTS = SIZES;

/** A page of Web Pig in its own browser context. */
export interface WebPigPage {
  page: Page;
  context: BrowserContext;
  /** Dialogs and page errors seen so far (watchPage). */
  seen: ReturnType<typeof watchPage>;
  close: () => Promise<void>;
}

export interface PageOptions {
  language: 'es' | 'en';
  size: keyof typeof VIEWPORTS;
}

export interface SignInOptions extends PageOptions {
  email: string;
  /** The address opened before signing in, kept by the page through sign-in. (Default: '/', the home) */
  path?: string;
  /** 'events': from the home after sign-in, the events tab is opened by its link. */
  view?: 'events';
}

/** A fresh browser context (the language's locale, the size's viewport, nothing but localhost) and its page, watched. */
export async function openPage(browser: Browser, options: PageOptions): Promise<WebPigPage> {
  const context = await browser.newContext({ locale: options.language === 'es' ? 'es-CO' : 'en-US', viewport: VIEWPORTS[options.size] });
  await confineToLocalhost(context);
  const page = await context.newPage();
  return { page, context, seen: watchPage(page), close: () => context.close() };
}

/** Signs `email` in through demo mode's development form, on a page that shows it. */
export async function signInThroughDevForm(page: Page, email: string): Promise<void> {
  const form = page.getByTestId('dev-login');
  await form.waitFor();
  await form.locator('input[name="email"]').fill(email);
  await form.locator('button[type="submit"]').click();
  await page.getByTestId('me').filter({ hasText: email }).waitFor();
}

/**
 * Web Pig in a fresh page (openPage), signed in through the development form as `email`. The
 * home comes first after sign-in (or `path`); `view: 'events'` then opens the events tab.
 */
export async function openSignedIn(browser: Browser, baseUrl: string, options: SignInOptions): Promise<WebPigPage> {
  const opened = await openPage(browser, options);
  const { page } = opened;
  await page.goto(`${baseUrl}${options.path ?? ''}`);
  await signInThroughDevForm(page, options.email);
  if (options.view === 'events') {
    await page.getByTestId('home').waitFor();
    await page.locator('a[href="#/events"]').click();
  }
  return opened;
}

/**
 * Chromium for one `describe` whose tests each start a server of their own (their counts start
 * from nothing): launched in its `before`, closed in its `after`. Read `browser` in tests.
 */
export function chromiumForDescribe(): { readonly browser: Browser } {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error("chromiumForDescribe: the browser is read before the describe's before hook launched it");
      return browser;
    },
  };
}

/** The real server and Chromium of one `describe`, as `webPigInChromium` starts them. */
export interface WebPigInChromium {
  /** The server (startDashboardServer); there once the describe's `before` has run. */
  readonly server: DashboardServer;
  readonly browser: Browser;
  /** `openPage` in this browser. */
  openPage(options: PageOptions): Promise<WebPigPage>;
  /** `openSignedIn` on this browser and server. */
  openSignedIn(options: SignInOptions): Promise<WebPigPage>;
}

/**
 * Registers, in the calling `describe`, Chromium's hooks (chromiumForDescribe) and a `before`
 * that starts the real server with `options` (a function when they depend on something an
 * earlier `before` starts), then runs `ready` (seeding the store, opening a shared page), and
 * an `after` that closes the server.
 * Read `server` and `browser` in hooks and tests, not while the describe is being declared.
 */
export function webPigInChromium(
  options: DashboardServerOptions | (() => DashboardServerOptions),
  ready?: (web: WebPigInChromium) => Promise<void>,
): WebPigInChromium {
  const chromium = chromiumForDescribe();
  let server: DashboardServer | undefined;
  const web: WebPigInChromium = {
    get server() {
      if (!server) throw new Error("webPigInChromium: the server is read before the describe's before hook started it");
      return server;
    },
    get browser() {
      return chromium.browser;
    },
    openPage: (page) => openPage(web.browser, page),
    openSignedIn: (signIn) => openSignedIn(web.browser, web.server.baseUrl, signIn),
  };
  // Registered after Chromium's hooks: launched first, closed first, as the tests' own hooks had it.
  before(async () => {
    server = await startDashboardServer(typeof options === 'function' ? options() : options);
    await ready?.(web);
  });
  after(async () => {
    await server?.close();
  });
  return web;
}
