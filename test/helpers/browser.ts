import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ColumnConfig, FlagConfig } from '../../src/config/types.js';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import { dashboardPlugin } from '../../src/dashboard/plugin.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { apiPlugin } from '../../src/server/api/plugin.js';
import type { AuthConfig } from '../../src/server/auth/config.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { ingestPlugin } from '../../src/server/ingest/plugin.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from './oidc-provider.js';

/** Debian's Chromium (installed by .ci/run); Playwright's own download is not used. */
export const CHROMIUM_PATH = process.env.WEBPIG_CHROMIUM ?? '/usr/bin/chromium';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_DIST = `${repoRoot}src/dashboard/dist`;
export const ARTIFACTS_DIR = `${repoRoot}test-artifacts/dashboard`;

/** The two viewports every dashboard change is judged at: a laptop and a phone. */
export const SIZES = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } } as const;

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

/**
 * Keeps the browser on 127.0.0.1: any other request (the OIDC provider's login page imports a
 * web font, for one) is aborted, so tests never reach the Internet.
 */
export async function confineToLocalhost(context: BrowserContext): Promise<void> {
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  );
}

export interface DashboardServerOptions {
  columns: ColumnConfig[];
  flags: FlagConfig[];
  pipelines: PipelineDefinition[];
  sources: SourceConfig[];
  /** Roles, domains…; `oidc` is filled in when `signIn` is 'oidc'. */
  auth: AuthConfig;
  /**
   * 'oidc': a real local OpenID Connect provider with these accounts; 'dev': demo mode's dev
   * sign-in; 'link': production with no provider, one-time links only (`webpig login-link`).
   */
  signIn: { kind: 'oidc'; accounts: TestAccount[] } | { kind: 'dev' } | { kind: 'link' };
  /** The API's clock, for pages about "today" on a fixed data set. (Default: the real time) */
  now?: () => Date;
}

export interface DashboardServer {
  baseUrl: string;
  store: SqliteStore;
  oidc: TestOidcProvider | null;
  /** Cuts every open connection (the live stream included), as a restarting proxy would. */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * The real server as `webpig serve` assembles it: the /api plugin (with sign-in), webhook
 * ingestion and the built dashboard, on a SQLite file in a temporary directory, listening on
 * 127.0.0.1 at a free port. The socket is bound before the app is built because the OIDC
 * provider and the API both need the callback URL, which contains the port.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  await ensureDashboardBuilt();
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const oidc =
    options.signIn.kind === 'oidc'
      ? await startOidcProvider({ redirectUris: [`${baseUrl}/auth/callback`], accounts: options.signIn.accounts })
      : null;
  const auth: AuthConfig = oidc
    ? {
        ...options.auth,
        oidc: { issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret, redirectUrl: `${baseUrl}/auth/callback` },
      }
    : { ...options.auth, devLogin: options.signIn.kind === 'dev' };

  const dir = mkdtempSync(join(tmpdir(), 'webpig-dashboard-'));
  const store = SqliteStore.open(`sqlite:${join(dir, 'webpig.db')}`);
  await store.migrate();

  // A setup that fails (a bad config, a plugin that throws) must not leave the server listening:
  // the test file would never exit, and the whole suite would wait for it.
  let app: ReturnType<typeof Fastify>;
  try {
    app = Fastify({
      logger: false,
      serverFactory: (handler) => server.on('request', handler),
    });
    installErrorHandler(app);
    // Parsed once, as `webpig start` does; each plugin gets its slice.
    const config = resolveConfig(
      {
        sources: options.sources,
        pipelines: options.pipelines,
        columns: options.columns,
        flags: options.flags,
        auth,
        server: { publicUrl: baseUrl },
      },
      'the browser test config',
    );
    await app.register(apiPlugin, {
      store,
      config: {
        columns: config.columns,
        flags: config.flags,
        pipelines: config.pipelines,
        // The sources' names and kinds, as `webpig serve` passes them: the filters offer these and refuse others.
        sources: config.sources.map(({ name, kind }) => ({ name, kind })),
        auth: config.auth,
        publicUrl: baseUrl,
      },
      mode: options.signIn.kind === 'dev' ? 'demo' : 'production',
      streamPollMs: 100,
      ...(options.now ? { now: options.now } : {}),
    });
    await app.register(ingestPlugin, { store, sources: config.sources });
    await app.register(dashboardPlugin);
    await app.ready();
  } catch (err) {
    server.close();
    await oidc?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    baseUrl,
    store,
    oidc,
    dropConnections: () => server.closeAllConnections(),
    async close() {
      server.closeAllConnections();
      await app.close();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await oidc?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
