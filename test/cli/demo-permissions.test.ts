import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PEOPLE } from '../../src/demo/demo-config.js';
import { runDemo, type RunningDemo } from '../../src/demo/run-demo.js';

/**
 * The demo's flags and roles let a visitor try the permission rules (the seeds'
 * FLAG_PERMISSIONS): through the demo's development sign-in, finance may switch the WorldOffice
 * flags but not memberships, the admin may switch everything, and the others nothing.
 */
describe('webpig demo: flags and roles to try the permission rules', () => {
  let dir: string;
  let demo: RunningDemo;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'webpig-demo-roles-'));
    demo = await runDemo({
      port: 0,
      host: '127.0.0.1',
      dbFile: path.join(dir, 'demo.db'),
      traffic: false,
      env: {},
      print: () => undefined,
    });
  });

  after(async () => {
    await demo.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(email: string): Promise<{ status: number; headers: Record<string, string> }> {
    const res = await fetch(`${demo.url}/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    const body = (await res.json()) as { csrfToken?: string };
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { status: res.status, headers: { cookie, 'x-csrf-token': body.csrfToken ?? '' } };
  }

  async function setFlag(email: string, key: string, value: boolean): Promise<number> {
    const { headers } = await signIn(email);
    const res = await fetch(`${demo.url}/api/flags/${key}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ value, reason: 'trying the demo' }),
    });
    return res.status;
  }

  it('finance switches the WorldOffice flags but not memberships; the admin switches memberships; viewers and operators nothing', async () => {
    assert.equal(await setFlag(DEMO_PEOPLE.finance, 'WORLDOFFICE_DIAN_ENABLED', false), 200);
    assert.equal(await setFlag(DEMO_PEOPLE.finance, 'WORLDOFFICE_INVOICE_ENABLED', true), 200);
    assert.equal(await setFlag(DEMO_PEOPLE.finance, 'MEMBERSHIPS_ENABLED', false), 403);
    assert.equal(await setFlag(DEMO_PEOPLE.viewer, 'WORLDOFFICE_DIAN_ENABLED', true), 403);
    assert.equal(await setFlag(DEMO_PEOPLE.operator, 'WORLDOFFICE_DIAN_ENABLED', true), 403);
    assert.equal(await setFlag(DEMO_PEOPLE.admin, 'MEMBERSHIPS_ENABLED', false), 200);

    const { headers } = await signIn(DEMO_PEOPLE.viewer);
    const listed = (await (await fetch(`${demo.url}/api/flags`, { headers })).json()) as { items: Array<{ key: string; value: boolean }> };
    assert.deepEqual(
      Object.fromEntries(listed.items.map((f) => [f.key, f.value])),
      { MEMBERSHIPS_ENABLED: false, WORLDOFFICE_DIAN_ENABLED: false, WORLDOFFICE_INVOICE_ENABLED: true },
      'only the allowed changes happened',
    );
  });

  it('refuses the development sign-in for someone outside the demo domain', async () => {
    const outsider = await signIn('mallory@example.com');
    assert.equal(outsider.status, 403);
  });
});
