import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, for sign-in
 * tests. It uses the package's development interactions: a login form (any password is
 * accepted; the login is the account id, here the e-mail) and a consent form.
 */

export interface TestAccount {
  email: string;
  name?: string;
  /** (Default: true) */
  emailVerified?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export interface TestOidcProviderOptions {
  /** The relying party's callback URLs (e.g. `http://127.0.0.1:PORT/auth/callback`). */
  redirectUris: string[];
  accounts: TestAccount[];
  clientId?: string;
  clientSecret?: string;
}

export async function startOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'webpig-test';
  const clientSecret = options.clientSecret ?? 'webpig-test-secret-0123456789abcdef';
  const accounts = new Map(options.accounts.map((account) => [account.email, account]));

  // Listen first: the issuer URL needs the port.
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    pkce: { required: () => true },
    // Cookies signed with a fixed key: this provider lives only for one test run.
    cookies: { keys: ['webpig-test-oidc-cookie-key'] },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: account.email,
            email_verified: account.emailVerified ?? true,
            name: account.name ?? account.email,
          };
        },
      };
    },
  });
  // Plain http on 127.0.0.1: the provider must not insist on secure cookies.
  provider.proxy = false;
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A browser's cookie handling, as much as sign-in needs: cookies per host name (browsers do
 * not separate ports), with their path, dropped when expired by the server.
 */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(url: URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
      }
      const id = `${url.hostname} ${path} ${name}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.entries()]
      .filter(([id, cookie]) => id.startsWith(`${url.hostname} `) && url.pathname.startsWith(cookie.path))
      .map(([, cookie]) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  get(url: URL, name: string): string | undefined {
    return [...this.cookies.entries()].find(([id, c]) => id.startsWith(`${url.hostname} `) && c.name === name)?.[1].value;
  }
}

/** One request as a browser would send it: the jar's cookies, no automatic redirects. */
export async function browserFetch(jar: CookieJar, url: URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}

function formOf(html: string, pageUrl: URL): { action: URL; fields: URLSearchParams } | null {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1]) return null;
  const fields = new URLSearchParams();
  for (const input of form[2]?.matchAll(/<input[^>]*>/gi) ?? []) {
    const name = /name="([^"]+)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields.set(name, value);
  }
  return { action: new URL(form[1].replace(/&amp;/g, '&'), pageUrl), fields };
}

/**
 * Signs in as `email` the way a person would, without a browser: starting at `startUrl`
 * (the relying party's /auth/login), it follows redirects, fills the provider's login form
 * (any password) and its consent form, and stops at the first response that is neither a
 * redirect nor a provider form (normally the relying party's final redirect target, or an
 * error reply). Returns that response and the URL it came from.
 */
export async function signInThroughProvider(
  jar: CookieJar,
  startUrl: URL,
  email: string,
  options: { stopAt?: (url: URL) => boolean } = {},
): Promise<{ response: Response; url: URL }> {
  let url = startUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const response = await browserFetch(jar, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      await response.body?.cancel();
      if (options.stopAt?.(next)) return { response, url: next };
      url = next;
      continue;
    }
    const html = (response.headers.get('content-type') ?? '').includes('text/html') ? await response.clone().text() : '';
    const form = html ? formOf(html, url) : null;
    if (!form) return { response, url };
    if (form.fields.get('prompt') === 'login') {
      form.fields.set('login', email);
      form.fields.set('password', 'any-password');
    }
    url = form.action;
    init = { method: 'POST', body: form.fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`sign-in did not finish in 20 steps (last URL ${url.href})`);
}
