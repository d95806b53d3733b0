import type { Browser, BrowserContext, Page } from 'playwright-core';
import { confineToLocalhost, watchPage } from './browser.js';

/** The two sizes every dashboard change is checked at: a laptop and a phone. */
export const VIEWPORTS = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } } as const;

export interface SignedInPage {
  page: Page;
  context: BrowserContext;
  /** Dialogs and page errors seen so far (watchPage). */
  seen: ReturnType<typeof watchPage>;
  close: () => Promise<void>;
}

/**
 * Web Pig in a fresh browser context (the language's locale, the size's viewport, nothing but
 * localhost), signed in through the development form as `email`. The home comes first after
 * sign-in; `view: 'events'` then opens the events tab.
 */
export async function openSignedIn(
  browser: Browser,
  baseUrl: string,
  options: { language: 'es' | 'en'; size: keyof typeof VIEWPORTS; email: string; view?: 'events' },
): Promise<SignedInPage> {
  const context = await browser.newContext({ locale: options.language === 'es' ? 'es-CO' : 'en-US', viewport: VIEWPORTS[options.size] });
  await confineToLocalhost(context);
  const page = await context.newPage();
  const seen = watchPage(page);
  await page.goto(baseUrl);
  const form = page.getByTestId('dev-login');
  await form.waitFor();
  await form.locator('input[name="email"]').fill(options.email);
  await form.locator('button[type="submit"]').click();
  await page.getByTestId('me').filter({ hasText: options.email }).waitFor();
  if (options.view === 'events') {
    await page.getByTestId('home').waitFor();
    await page.locator('a[href="#/events"]').click();
  }
  return { page, context, seen, close: () => context.close() };
}
