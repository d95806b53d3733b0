import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browserFetch, CookieJar, signInThroughProvider, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { AUTH, PEOPLE, startApi, type Harness } from './api-harness.js';

/**
 * Sign-in end to end through a REAL OpenID Connect provider (oidc-provider) on 127.0.0.1:
 * authorization code + PKCE + state + nonce, the provider's own login and consent forms,
 * then a webpig session cookie that opens /api.
 */
describe('OpenID Connect sign-in', () => {
  let provider: TestOidcProvider;
  let h: Harness & { baseUrl: string };
  before(async () => {
    h = await startApi({
      listen: true,
      auth: async (baseUrl) => {
        provider = await startOidcProvider({
          redirectUris: [`${baseUrl}/auth/callback`],
          accounts: [
            { email: PEOPLE.admin, name: 'Admin Uno' },
            { email: PEOPLE.viewer },
            { email: 'intruder@gmail.com' },
            { email: 'unverified@sentiretaller.com', emailVerified: false },
          ],
        });
        return { ...AUTH, oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret } };
      },
    });
    // Real time here: the provider's tokens and the cookies' expiry follow the real clock.
    h.clock.now = new Date();
  });
  after(async () => {
    await h.close();
    await provider.close();
  });

  test('a person in an allowed domain signs in and gets a secure session that opens /api', async () => {
    const jar = new CookieJar();
    const start = new URL('/auth/login?returnTo=/events/42', h.baseUrl);
    const { response, url } = await signInThroughProvider(jar, start, PEOPLE.admin, {
      stopAt: (next) => next.origin === h.baseUrl && !next.pathname.startsWith('/auth/'),
    });
    assert.equal(response.status, 302);
    assert.equal(url.href, `${h.baseUrl}/events/42`, 'back where the person started');
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('webpig_session='));
    assert.ok(setCookie, 'the callback sets the session cookie');
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.doesNotMatch(setCookie, /Secure/i, 'plain http public URL: no Secure flag');

    const me = await browserFetch(jar, new URL('/api/me', h.baseUrl));
    assert.equal(me.status, 200);
    const body = (await me.json()) as { email: string; name: string; roles: string[]; kind: string; csrfToken: string };
    assert.equal(body.email, PEOPLE.admin);
    assert.equal(body.name, 'Admin Uno');
    assert.deepEqual(body.roles, ['admin']);
    assert.equal(body.kind, 'session');
    const sessionId = jar.get(new URL(h.baseUrl), 'webpig_session');
    assert.ok(sessionId);
    assert.equal((await h.store.getSession(sessionId, h.clock.now))?.email, PEOPLE.admin);

    // Logging out needs the CSRF token, then the session is gone from the store.
    const refused = await browserFetch(jar, new URL('/auth/logout', h.baseUrl), { method: 'POST' });
    assert.equal(refused.status, 403);
    const out = await browserFetch(jar, new URL('/auth/logout', h.baseUrl), {
      method: 'POST',
      headers: { 'x-csrf-token': body.csrfToken },
    });
    assert.equal(out.status, 204);
    assert.equal(await h.store.getSession(sessionId, h.clock.now), null);
    assert.equal((await browserFetch(jar, new URL('/api/me', h.baseUrl))).status, 401);
  });

  test('an e-mail outside the allowed domains is refused: 403 and no session', async () => {
    const jar = new CookieJar();
    const { response, url } = await signInThroughProvider(jar, new URL('/auth/login', h.baseUrl), 'intruder@gmail.com');
    assert.equal(url.pathname, '/auth/callback');
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'DOMAIN_NOT_ALLOWED');
    assert.equal(jar.get(new URL(h.baseUrl), 'webpig_session'), undefined);
    assert.equal((await browserFetch(jar, new URL('/api/me', h.baseUrl))).status, 401);
  });

  test('an unverified e-mail is refused even in an allowed domain', async () => {
    const jar = new CookieJar();
    const { response } = await signInThroughProvider(jar, new URL('/auth/login', h.baseUrl), 'unverified@sentiretaller.com');
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'EMAIL_NOT_VERIFIED');
  });

  test('a callback without the sign-in cookie, or with a forged state, is refused', async () => {
    const jar = new CookieJar();
    const callback = await signInThroughProvider(jar, new URL('/auth/login', h.baseUrl), PEOPLE.viewer, {
      stopAt: (next) => next.pathname === '/auth/callback',
    });
    // Replayed by another browser (no webpig_oidc cookie): refused.
    const stranger = await browserFetch(new CookieJar(), callback.url);
    assert.equal(stranger.status, 400);
    assert.equal(((await stranger.json()) as { error: { code: string } }).error.code, 'SIGN_IN_EXPIRED');
    // Same browser, state altered: the state check fails.
    const forged = new URL(callback.url);
    forged.searchParams.set('state', 'forged-state');
    const refused = await browserFetch(jar, forged);
    assert.equal(refused.status, 401);
    assert.equal(jar.get(new URL(h.baseUrl), 'webpig_session'), undefined);
  });

  test('returnTo may only be a path on this site (no open redirect)', async () => {
    const jar = new CookieJar();
    const { url } = await signInThroughProvider(jar, new URL('/auth/login?returnTo=//evil.example/x', h.baseUrl), PEOPLE.viewer, {
      stopAt: (next) => next.origin !== provider.issuer && !next.pathname.startsWith('/auth/'),
    });
    assert.equal(url.href, `${h.baseUrl}/`);
  });
});

describe('OpenID Connect sign-in behind https', () => {
  test('the session cookie is Secure when the public URL is https', async () => {
    let provider: TestOidcProvider | null = null;
    const h = await startApi({
      listen: true,
      publicUrl: 'https://webpig.example',
      auth: async (baseUrl) => {
        provider = await startOidcProvider({ redirectUris: [`${baseUrl}/auth/callback`], accounts: [{ email: PEOPLE.viewer }] });
        return {
          ...AUTH,
          oidc: {
            issuer: provider.issuer,
            clientId: provider.clientId,
            clientSecret: provider.clientSecret,
            redirectUrl: `${baseUrl}/auth/callback`,
          },
        };
      },
    });
    try {
      const login = await browserFetch(new CookieJar(), new URL('/auth/login', h.baseUrl));
      assert.equal(login.status, 302);
      const loginCookie = login.headers.getSetCookie().find((c) => c.startsWith('webpig_oidc='));
      assert.match(loginCookie ?? '', /Secure/);
      assert.match(loginCookie ?? '', /HttpOnly/i);
      // The rest of the flow cannot run: a cookie jar honouring Secure would not send it over
      // plain http, which is the point. Sessions use the same `secure` setting (session.ts).
    } finally {
      await h.close();
      await (provider as TestOidcProvider | null)?.close();
    }
  });
});
