import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTH, json, PEOPLE, startApi } from './api-harness.js';

/** The demo's development sign-in: present in demo mode only, impossible to enable otherwise. */

test('a production-mode server answers 404 to /auth/dev-login, even with devLogin: true in its config', async () => {
  const h = await startApi({ mode: 'production', auth: { ...AUTH, devLogin: true } });
  try {
    const response = await h.request('POST', '/auth/dev-login', undefined, { email: PEOPLE.admin });
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['set-cookie'], undefined);
    const config = json<{ devLogin: boolean }>(await h.request('GET', '/api/config', await h.session(PEOPLE.viewer)));
    assert.equal(config.devLogin, false);
  } finally {
    await h.close();
  }
});

test('a demo-mode server without devLogin in its config has no dev sign-in either', async () => {
  const h = await startApi({ mode: 'demo' });
  try {
    assert.equal((await h.request('POST', '/auth/dev-login', undefined, { email: PEOPLE.admin })).statusCode, 404);
  } finally {
    await h.close();
  }
});

test('in demo mode, dev sign-in gives a clearly marked session with the configured roles', async () => {
  const h = await startApi({ mode: 'demo', auth: { ...AUTH, devLogin: true } });
  try {
    const response = await h.request('POST', '/auth/dev-login', undefined, { email: PEOPLE.finance });
    assert.equal(response.statusCode, 200, response.body);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /^webpig_session=/);
    assert.match(cookie, /HttpOnly/);
    const caller = { headers: { cookie: cookie.split(';')[0] ?? '' } };
    const me = json<{ email: string; kind: string; roles: string[]; csrfToken: string }>(await h.request('GET', '/api/me', caller));
    assert.equal(me.kind, 'dev');
    assert.equal(me.email, PEOPLE.finance);
    assert.deepEqual(me.roles, ['finance']);
    assert.equal(json<{ devLogin: boolean }>(await h.request('GET', '/api/config', caller)).devLogin, true);
    // Permissions are the same as for a real sign-in: finance may not touch MEMBERSHIPS_ENABLED.
    const refused = await h.request(
      'PUT',
      '/api/flags/MEMBERSHIPS_ENABLED',
      { headers: { ...caller.headers, 'x-csrf-token': me.csrfToken } },
      { value: false, reason: 'FRAPP is down' },
    );
    assert.equal(refused.statusCode, 403);
  } finally {
    await h.close();
  }
});

test('dev sign-in still refuses other domains and bad bodies', async () => {
  const h = await startApi({ mode: 'demo', auth: { ...AUTH, devLogin: true } });
  try {
    const outsider = await h.request('POST', '/auth/dev-login', undefined, { email: 'mallory@evil.example' });
    assert.equal(outsider.statusCode, 403);
    assert.equal(json<{ error: { code: string } }>(outsider).error.code, 'DOMAIN_NOT_ALLOWED');
    for (const body of [{}, { email: 'not-an-email' }, { email: 42 }]) {
      assert.equal((await h.request('POST', '/auth/dev-login', undefined, body)).statusCode, 400, JSON.stringify(body));
    }
  } finally {
    await h.close();
  }
});
