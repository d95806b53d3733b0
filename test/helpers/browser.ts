import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); Playwright's own download is not used. */
export const CHROMIUM_PATH = process.env.WEBPIG_CHROMIUM ?? '/usr/bin/chromium';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_DIST = `${repoRoot}src/dashboard/dist`;
export const ARTIFACTS_DIR = `${repoRoot}test-artifacts/dashboard`;

/**
 * Why browser tests cannot run here, or null when they can. Without Chromium they skip with
 * this reason, except under CI, where a missing browser is a failure (see `browserSkip`).
 */
export function browserUnavailable(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`;
}

/** The `skip` option for a browser test: loud when skipping, throwing under CI. */
export function browserSkip(): string | false {
  const reason = browserUnavailable();
  if (!reason) return false;
  if (process.env.CI) throw new Error(`browser tests cannot run under CI: ${reason}`);
  console.warn(`\n*** SKIPPING browser tests: ${reason} ***\n`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the page with Vite when `npm run build` has not (tests serve the real static files). */
export async function ensureDashboardBuilt(): Promise<string> {
  if (!existsSync(`${DASHBOARD_DIST}/index.html`)) {
    const { build } = await import('vite');
    await build({ configFile: `${repoRoot}vite.config.ts`, logLevel: 'warn' });
  }
  return DASHBOARD_DIST;
}

/** Listens on 127.0.0.1 at a free port and returns the base URL. */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** Saves a full-page screenshot as test-artifacts/dashboard/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = `${ARTIFACTS_DIR}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Collects what must never happen on the page: JavaScript dialogs (an executed `alert()` from
 * a payload), uncaught page errors and CSP violations reported to the console.
 */
export function watchPage(page: Page): { dialogs: string[]; errors: string[] } {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) seen.errors.push(message.text());
  });
  return seen;
}
