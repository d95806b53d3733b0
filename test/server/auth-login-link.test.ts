import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLoginLink, UnknownPersonError } from '../../src/server/auth/login-links.js';
import { AUTH, MINUTE, PEOPLE, startApi, type Harness } from './api-harness.js';

/**
 * One-time sign-in links over real HTTP: the GET landing changes nothing (link scanners),
 * the POST uses the link once and opens a session with the config's roles, links expire
 * after 15 minutes (the server's clock is moved, nobody sleeps), and everything is audited.
 */

type Browser = { cookie: string | null };

/** The refusal on a link page: its code (data-code) and its words, as `CODE: words`. */
function refusalOf(html: string): string {
  const found = /<p data-testid="link-refused" data-code="([A-Z_]+)">([^<]*)<\/p>/.exec(html);
  assert.ok(found, `no refusal on the page: ${html}`);
  return `${found[1]}: ${found[2]!.replace(/&#39;/g, "'")}`;
}

describe('login links', () => {
  let h: Harness & { baseUrl: string };
  before(async () => {
    h = await startApi({ listen: true, auth: { ...AUTH, roles: { ...AUTH.roles, viewer: { members: ['outside@gmail.com'] } } } });
  });
  after(async () => h.close());

  const link = (email: string) => createLoginLink(h.store, h.auth, { email, baseUrl: h.baseUrl, createdBy: 'cli:test', now: h.clock.now });
  const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';

  /** What the page's button does: POST the token as a form, from the same site. */
  async function pressSignIn(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(new URL('/auth/link', h.baseUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers },
      body: new URLSearchParams({ token: tokenOf(url) }).toString(),
    });
  }

  function sessionOf(response: Response): Browser {
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('webpig_session='));
    return { cookie: cookie ? (cookie.split(';')[0] ?? null) : null };
  }

  async function api(browser: Browser, method: string, path: string, body?: unknown, csrf?: string): Promise<Response> {
    return fetch(new URL(path, h.baseUrl), {
      method,
      headers: {
        ...(browser.cookie ? { cookie: browser.cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  test('the link opens a page whose button signs in; the session has the config’s roles on /api', async () => {
    const created = await link(PEOPLE.finance);
    assert.match(created.url, new RegExp(`^${h.baseUrl}/auth/link\\?token=wpl_[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(created.roles, ['finance']);

    // A link scanner (or the person) GETs the page twice: the link stays unused.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(created.url, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('set-cookie'), null, 'GET signs nobody in');
      // The token's URL goes to no other site; same-origin (not no-referrer) so the form's Origin is this server's, not "null".
      assert.equal(page.headers.get('referrer-policy'), 'same-origin');
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const html = await page.text();
      assert.match(html, /<form method="post" action="\/auth\/link">/);
      assert.ok(html.includes(PEOPLE.finance));
    }
    const stored = await h.store.findLoginLink(createHash('sha256').update(tokenOf(created.url)).digest('hex'));
    assert.equal(stored?.usedAt, null, 'stored by the sha256 of its token, and still unused');

    const signedIn = await pressSignIn(created.url);
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/');
    const finance = sessionOf(signedIn);
    assert.ok(finance.cookie, 'the POST sets the session cookie');
    assert.match(signedIn.headers.getSetCookie().join(), /HttpOnly/i);

    const me = (await (await api(finance, 'GET', '/api/me')).json()) as { email: string; roles: string[]; kind: string; csrfToken: string };
    assert.deepEqual([me.email, me.roles, me.kind], [PEOPLE.finance, ['finance'], 'session']);
    assert.equal((await api(finance, 'GET', '/api/events')).status, 200);
    // FLAG_PERMISSIONS apply as for any sign-in: finance may flip the invoice flag, not memberships.
    assert.equal(
      (await api(finance, 'PUT', '/api/flags/WORLDOFFICE_INVOICE_ENABLED', { value: false, reason: 'ERP down' }, me.csrfToken)).status,
      200,
    );
    assert.equal((await api(finance, 'PUT', '/api/flags/MEMBERSHIPS_ENABLED', { value: false, reason: 'x' }, me.csrfToken)).status, 403);
  });

  test('a viewer’s link gives a viewer’s session: reading yes, flipping the finance flag no', async () => {
    const viewer = sessionOf(await pressSignIn((await link(PEOPLE.viewer)).url));
    const me = (await (await api(viewer, 'GET', '/api/me')).json()) as { roles: string[]; csrfToken: string };
    assert.deepEqual(me.roles, ['viewer']);
    assert.equal((await api(viewer, 'GET', '/api/events')).status, 200);
    const refused = await api(viewer, 'PUT', '/api/flags/WORLDOFFICE_INVOICE_ENABLED', { value: true, reason: 'x' }, me.csrfToken);
    assert.equal(refused.status, 403);
  });

  test('single use: the second press is refused, signs nobody in, and the page says why', async () => {
    const created = await link(PEOPLE.operator);
    assert.equal((await pressSignIn(created.url)).status, 303);
    const again = await pressSignIn(created.url, { 'accept-language': 'es-CO' });
    assert.equal(again.status, 410);
    assert.equal(sessionOf(again).cookie, null);
    assert.equal(refusalOf(await again.text()), 'LOGIN_LINK_USED: Este enlace ya se usó. Cada enlace sirve una sola vez.');
    const page = await fetch(created.url, { headers: { 'accept-language': 'en' } });
    assert.equal(page.status, 410);
    const pageText = await page.text();
    assert.equal(refusalOf(pageText), 'LOGIN_LINK_USED: This link was already used. Each link works once.');
    assert.match(pageText, /webpig login-link/);
  });

  test('expiry: works at 14 min 59 s, refused from 15 min on (the server’s clock is moved)', async () => {
    const start = h.clock.now;
    try {
      const late = await link(PEOPLE.operator);
      const justInTime = await link(PEOPLE.operator);
      h.clock.now = new Date(start.getTime() + 15 * MINUTE - 1000);
      assert.equal((await pressSignIn(justInTime.url)).status, 303);
      h.clock.now = new Date(start.getTime() + 15 * MINUTE);
      const refused = await pressSignIn(late.url, { 'accept-language': 'en' });
      assert.equal(refused.status, 410);
      assert.equal(sessionOf(refused).cookie, null);
      assert.equal(refusalOf(await refused.text()), 'LOGIN_LINK_EXPIRED: This link has expired (it lasts 15 minutes).');
      const landing = await fetch(late.url);
      assert.equal(landing.status, 410);
      assert.equal(refusalOf(await landing.text()), 'LOGIN_LINK_EXPIRED: Este enlace venció (dura 15 minutos).');
      assert.equal((await h.store.findLoginLink(createHash('sha256').update(tokenOf(late.url)).digest('hex')))?.usedAt, null);
    } finally {
      h.clock.now = start;
    }
  });

  test('an e-mail the config does not know gets no link, no row, no audit entry', async () => {
    const before = (await h.store.listAudit({ action: 'login_link.create' })).items.length;
    await assert.rejects(
      link('mallory@evil.example'),
      (err: unknown) =>
        err instanceof UnknownPersonError &&
        /mallory@evil\.example is not in the config.*auth\.roles.*auth\.allowedDomains/.test(err.message),
    );
    assert.equal((await h.store.listAudit({ action: 'login_link.create' })).items.length, before);
    // Someone named in a role signs in whatever their domain.
    assert.deepEqual((await link('Outside@Gmail.com')).roles, ['viewer']);
  });

  test('creation and use are audited with the e-mail; the token itself is in no audit entry', async () => {
    const created = await link(PEOPLE.admin);
    await pressSignIn(created.url);
    const token = tokenOf(created.url);
    const made = (await h.store.listAudit({ action: 'login_link.create' })).items.find((e) => e.details?.email === PEOPLE.admin);
    assert.ok(made);
    assert.equal(made.actor, 'cli:test');
    const used = (await h.store.listAudit({ action: 'login_link.use', actor: PEOPLE.admin })).items[0];
    assert.ok(used);
    assert.equal(used.target, made.target, 'both entries name the same link');
    assert.equal(used.remoteAddress, '127.0.0.1');
    assert.ok(!JSON.stringify([made, used]).includes(token));
  });

  test('bad tokens, a cross-site form and a person removed from the config are refused', async () => {
    for (const token of ['', 'wpl_short', 'x'.repeat(5000)]) {
      const response = await fetch(new URL('/auth/link', h.baseUrl), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      assert.ok([404, 413].includes(response.status), `${token.slice(0, 10)} → ${response.status}`);
      assert.equal(sessionOf(response).cookie, null);
    }
    const created = await link(PEOPLE.admin);
    const crossSite = await pressSignIn(created.url, { 'sec-fetch-site': 'cross-site', 'accept-language': 'es-CO' });
    assert.equal(crossSite.status, 403);
    assert.equal(sessionOf(crossSite).cookie, null);
    // In the page's language, all of it (it said "cross-site request." on the Spanish page).
    assert.equal(
      refusalOf(await crossSite.text()),
      'CROSS_SITE_FORM: No se pudo iniciar sesión: el formulario llegó desde otro sitio. Abre el enlace directamente en tu navegador.',
    );
    const crossSiteEn = await pressSignIn(created.url, { 'sec-fetch-site': 'cross-site', 'accept-language': 'en' });
    assert.equal(
      refusalOf(await crossSiteEn.text()),
      'CROSS_SITE_FORM: Could not sign in: the form came from another site. Open the link directly in your browser.',
    );
    // A sibling subdomain (same site, another origin) may serve anyone's page: refused too, the link unused.
    const sameSite = await pressSignIn(created.url, { 'sec-fetch-site': 'same-site', 'accept-language': 'en' });
    assert.equal(sameSite.status, 403);
    assert.equal(sessionOf(sameSite).cookie, null);
    // Removed after the link was printed: the link is spent, nobody is signed in.
    const removed = await createLoginLink(h.store, h.auth, {
      email: 'outside@gmail.com',
      baseUrl: h.baseUrl,
      createdBy: 'cli:test',
      now: h.clock.now,
    });
    const members = h.auth.roles.viewer?.members ?? [];
    const saved = [...members];
    members.length = 0;
    try {
      const refused = await pressSignIn(removed.url);
      assert.equal(refused.status, 403);
      assert.equal(sessionOf(refused).cookie, null);
      assert.equal(
        refusalOf(await refused.text()),
        'PERSON_NOT_ALLOWED: No se pudo iniciar sesión: esta persona ya no está en la configuración de webpig.',
      );
    } finally {
      members.push(...saved);
    }
  });

  test('a form from a foreign Origin is refused even without Sec-Fetch-Site; this server’s Origin or none signs in', async () => {
    // A browser that sends no Sec-Fetch-Site (older, or a privacy setting) still sends Origin on a form POST.
    const created = await link(PEOPLE.admin);
    const noFetchMetadata = { 'sec-fetch-site': '', 'accept-language': 'en' };
    for (const origin of ['https://evil.example', 'http://127.0.0.1.evil.example', 'null', 'not a url']) {
      const refused = await pressSignIn(created.url, { ...noFetchMetadata, origin });
      assert.equal(refused.status, 403, origin);
      assert.equal(sessionOf(refused).cookie, null, origin);
      assert.match(refusalOf(await refused.text()), /^CROSS_SITE_FORM: Could not sign in: the form came from another site/, origin);
    }
    // The link was not used up by the refusals: the page's own form (this server's origin) signs in.
    const sameOrigin = await pressSignIn(created.url, { ...noFetchMetadata, origin: new URL(h.baseUrl).origin });
    assert.equal(sameOrigin.status, 303);
    assert.notEqual(sessionOf(sameOrigin).cookie, null);
    // No Origin at all: a client that is no browser (curl), which no other site can drive.
    const curl = await pressSignIn((await link(PEOPLE.admin)).url, noFetchMetadata);
    assert.equal(curl.status, 303);
  });

  test('/auth/methods tells the sign-in page what exists, without a session', async () => {
    const response = await fetch(new URL('/auth/methods', h.baseUrl));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { oidc: false, devLogin: false, loginLink: true });
  });
});
