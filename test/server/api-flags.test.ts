import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json, PEOPLE, startApi, withCsrf, type Harness } from './api-harness.js';

interface FlagView {
  key: string;
  value: boolean;
  description: string;
  descriptions: { es?: string; en?: string } | null;
  updatedBy: string | null;
  canChange: boolean;
  reason: string | null;
  allowed: string[];
}
interface ErrorBody {
  error: { code: string; message: string };
}

describe('flags: the server enforces FLAG_PERMISSIONS (the hole in the seeds)', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  async function flags(caller: Parameters<Harness['request']>[2]): Promise<Record<string, FlagView>> {
    const response = await h.request('GET', '/api/flags', caller);
    assert.equal(response.statusCode, 200, response.body);
    return Object.fromEntries(json<{ items: FlagView[] }>(response).items.map((f) => [f.key, f]));
  }
  const value = async (key: string) => (await h.store.getFlag(key))?.value;

  test('configured flags exist with their defaults and descriptions', async () => {
    const list = await flags(await h.session(PEOPLE.viewer));
    assert.deepEqual(Object.keys(list).sort(), [
      'CRM_ENABLED',
      'MEMBERSHIPS_ENABLED',
      'WORLDOFFICE_DIAN_ENABLED',
      'WORLDOFFICE_INVOICE_ENABLED',
    ]);
    assert.equal(list.CRM_ENABLED?.value, false);
    assert.equal(list.MEMBERSHIPS_ENABLED?.value, true);
    assert.equal(list.MEMBERSHIPS_ENABLED?.description, 'Create FRAPP memberships');
    assert.equal(list.MEMBERSHIPS_ENABLED?.descriptions, null, 'one text for every language');
    // A description by language: the page shows its language's; the store and the CLI keep the Spanish.
    assert.deepEqual(list.CRM_ENABLED?.descriptions, { es: 'CRM de Clientify', en: 'Clientify CRM' });
    assert.equal(list.CRM_ENABLED?.description, 'CRM de Clientify');
    assert.equal((await h.store.getFlag('CRM_ENABLED'))?.description, 'CRM de Clientify');
  });

  test('each caller sees canChange and, when not, the reason', async () => {
    const finance = await flags(await h.session(PEOPLE.finance));
    assert.equal(finance.WORLDOFFICE_INVOICE_ENABLED?.canChange, true);
    assert.equal(finance.WORLDOFFICE_INVOICE_ENABLED?.reason, null);
    assert.equal(finance.MEMBERSHIPS_ENABLED?.canChange, false);
    assert.match(finance.MEMBERSHIPS_ENABLED?.reason ?? '', /only admin1@sentiretaller\.com may change MEMBERSHIPS_ENABLED/);
    assert.equal(finance.CRM_ENABLED?.canChange, false, 'a flag without a list: admins only');
    assert.deepEqual(finance.MEMBERSHIPS_ENABLED?.allowed, [PEOPLE.admin], 'who may, for the page to word in its language');
    assert.deepEqual(finance.CRM_ENABLED?.allowed, ['admin']);
    const admin = await flags(await h.session(PEOPLE.admin));
    assert.ok(Object.values(admin).every((f) => f.canChange));
    const operator = await flags(await h.session(PEOPLE.operator));
    assert.ok(Object.values(operator).every((f) => !f.canChange && f.reason));
  });

  test('someone on the list changes a flag: value, history and audit with who, when, what, from where', async () => {
    const finance = withCsrf(await h.session(PEOPLE.finance));
    const response = await h.request('PUT', '/api/flags/WORLDOFFICE_INVOICE_ENABLED', finance, { value: false, reason: 'ERP down' });
    assert.equal(response.statusCode, 200, response.body);
    const flag = json<FlagView>(response);
    assert.equal(flag.value, false);
    assert.equal(flag.updatedBy, PEOPLE.finance);
    assert.equal(flag.canChange, true);
    assert.equal(await value('WORLDOFFICE_INVOICE_ENABLED'), false);

    const history = json<{ items: Array<{ oldValue: boolean; newValue: boolean; actor: string; reason: string }>; nextCursor: null }>(
      await h.request('GET', '/api/flags/WORLDOFFICE_INVOICE_ENABLED/history', finance),
    );
    assert.equal(history.items[0]?.actor, PEOPLE.finance);
    assert.equal(history.items[0]?.oldValue, true);
    assert.equal(history.items[0]?.newValue, false);
    assert.equal(history.items[0]?.reason, 'ERP down');

    const audit = (await h.store.listAudit({ action: 'flag.set' })).items[0];
    assert.equal(audit?.actor, PEOPLE.finance);
    assert.equal(audit?.target, 'flag:WORLDOFFICE_INVOICE_ENABLED');
    assert.deepEqual(audit?.details, { from: true, to: false, reason: 'ERP down' });
    assert.equal(audit?.remoteAddress, '127.0.0.1');
    assert.equal(audit?.at.getTime(), h.clock.now.getTime());
  });

  test('someone NOT on the list gets 403 with a clear message and the flag is unchanged (session)', async () => {
    const before = await value('MEMBERSHIPS_ENABLED');
    for (const email of [PEOPLE.finance, PEOPLE.operator, PEOPLE.viewer]) {
      const caller = withCsrf(await h.session(email));
      const response = await h.request('PUT', '/api/flags/MEMBERSHIPS_ENABLED', caller, { value: !before, reason: 'FRAPP is down' });
      assert.equal(response.statusCode, 403, email);
      const body = json<ErrorBody>(response);
      assert.equal(body.error.code, 'FORBIDDEN');
      assert.match(body.error.message, new RegExp(`${email.replace('.', '\\.')} may not change MEMBERSHIPS_ENABLED`));
    }
    assert.equal(await value('MEMBERSHIPS_ENABLED'), before);
    assert.equal((await h.store.flagHistory('MEMBERSHIPS_ENABLED')).items.length, 0);
  });

  test('the same through the compatibility endpoint PUT /api/feature-flags/:key', async () => {
    const before = await value('MEMBERSHIPS_ENABLED');
    const finance = withCsrf(await h.session(PEOPLE.finance));
    const refused = await h.request('PUT', '/api/feature-flags/MEMBERSHIPS_ENABLED', finance, { value: !before, reason: 'FRAPP is down' });
    assert.equal(refused.statusCode, 403);
    assert.equal(await value('MEMBERSHIPS_ENABLED'), before);
    const admin = withCsrf(await h.session(PEOPLE.admin));
    const accepted = await h.request('PUT', '/api/feature-flags/MEMBERSHIPS_ENABLED', admin, { value: !before, reason: 'FRAPP is down' });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(await value('MEMBERSHIPS_ENABLED'), !before);
    const map = json<{ flags: Record<string, boolean> }>(await h.request('GET', '/api/feature-flags', admin));
    assert.equal(map.flags.MEMBERSHIPS_ENABLED, !before);
    assert.equal(map.flags.CRM_ENABLED, false);
  });

  test('tokens: without flags:write 403; with it but not on the list 403; named on the list or admin: allowed', async () => {
    const reader = await h.token(['events:read'], 'erp-bot');
    const noScope = await h.request('PUT', '/api/flags/WORLDOFFICE_DIAN_ENABLED', reader, { value: false, reason: 'DIAN down' });
    assert.equal(noScope.statusCode, 403);
    assert.match(json<ErrorBody>(noScope).error.message, /flags:write/);
    const writer = await h.token(['flags:write'], 'other-bot');
    assert.equal(
      (await h.request('PUT', '/api/flags/WORLDOFFICE_DIAN_ENABLED', writer, { value: false, reason: 'DIAN down' })).statusCode,
      403,
    );
    assert.equal(await value('WORLDOFFICE_DIAN_ENABLED'), true);
    const listed = await h.token(['flags:write'], 'erp-bot');
    assert.equal(
      (await h.request('PUT', '/api/flags/WORLDOFFICE_DIAN_ENABLED', listed, { value: false, reason: 'DIAN down' })).statusCode,
      200,
    );
    assert.equal(await value('WORLDOFFICE_DIAN_ENABLED'), false);
    assert.equal((await h.store.listAudit({ actor: 'token:erp-bot' })).items[0]?.action, 'flag.set');
    const admin = await h.token(['admin']);
    assert.equal((await h.request('PUT', '/api/flags/CRM_ENABLED', admin, { value: true, reason: 'CRM is back' })).statusCode, 200);
    assert.equal(
      (await h.request('PUT', '/api/flags/MEMBERSHIPS_ENABLED', admin, { value: true, reason: 'FRAPP is back' })).statusCode,
      403,
      'the list is authoritative',
    );
  });

  test('without the CSRF header the change is 403 even for someone on the list', async () => {
    const admin = await h.session(PEOPLE.admin);
    const response = await h.request('PUT', '/api/flags/CRM_ENABLED', admin, { value: false, reason: 'CRM is down' });
    assert.equal(response.statusCode, 403);
    assert.equal(json<ErrorBody>(response).error.code, 'CSRF_TOKEN_INVALID');
    assert.equal(await value('CRM_ENABLED'), true);
  });

  test('unknown flag 404; bad bodies 400; nothing changes', async () => {
    const admin = withCsrf(await h.session(PEOPLE.admin));
    assert.equal((await h.request('PUT', '/api/flags/NOPE', admin, { value: true, reason: 'x' })).statusCode, 404);
    assert.equal((await h.request('GET', '/api/flags/NOPE/history', admin)).statusCode, 404);
    for (const body of [
      {},
      { value: 'yes', reason: 'x' },
      { value: true, reason: 'x', extra: 1 },
      { value: true, reason: 'x'.repeat(501) },
      [],
    ]) {
      const response = await h.request('PUT', '/api/flags/CRM_ENABLED', admin, body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(json<ErrorBody>(response).error.code, 'INVALID_REQUEST');
    }
    const malformed = await h.app.inject({
      method: 'PUT',
      url: '/api/flags/CRM_ENABLED',
      headers: { ...admin.headers, 'content-type': 'application/json' },
      payload: '{"value": tru',
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(await value('CRM_ENABLED'), true);
  });

  test('a change without a reason is refused with 400, on both routes, and nothing changes', async () => {
    const finance = withCsrf(await h.session(PEOPLE.finance));
    const before = await value('WORLDOFFICE_INVOICE_ENABLED');
    const changesBefore = (await h.store.flagHistory('WORLDOFFICE_INVOICE_ENABLED')).items.length;
    const routes = ['/api/flags/WORLDOFFICE_INVOICE_ENABLED', '/api/feature-flags/WORLDOFFICE_INVOICE_ENABLED'];
    for (const url of routes) {
      for (const body of [
        { value: !before },
        { value: !before, reason: '' },
        { value: !before, reason: '   ' },
        { value: !before, reason: null },
      ]) {
        const response = await h.request('PUT', url, finance, body);
        const what = `${url} ${JSON.stringify(body)}`;
        assert.equal(response.statusCode, 400, what);
        const { error } = json<ErrorBody>(response);
        assert.equal(error.code, 'INVALID_REQUEST', what);
        assert.match(error.message, /^reason: reason (is required|must not be empty): say why, e\.g\. "/, what);
      }
    }
    assert.equal(await value('WORLDOFFICE_INVOICE_ENABLED'), before);
    assert.equal((await h.store.flagHistory('WORLDOFFICE_INVOICE_ENABLED')).items.length, changesBefore);

    const trimmed = await h.request('PUT', routes[1] ?? '', finance, { value: !before, reason: '  ERP back  ' });
    assert.equal(trimmed.statusCode, 200, trimmed.body);
    assert.equal((await h.store.flagHistory('WORLDOFFICE_INVOICE_ENABLED')).items[0]?.reason, 'ERP back', 'stored trimmed');
  });

  test('flag history pages with a cursor', async () => {
    const admin = withCsrf(await h.session(PEOPLE.admin));
    for (const v of [false, true, false]) {
      assert.equal(
        (await h.request('PUT', '/api/flags/CRM_ENABLED', admin, { value: v, reason: `turn ${v ? 'on' : 'off'}` })).statusCode,
        200,
      );
    }
    const first = json<{ items: unknown[]; nextCursor: string | null }>(
      await h.request('GET', '/api/flags/CRM_ENABLED/history?limit=2', admin),
    );
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = json<{ items: unknown[]; nextCursor: string | null }>(
      await h.request('GET', `/api/flags/CRM_ENABLED/history?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, admin),
    );
    assert.equal(second.items.length, 2, 'one change by the admin token earlier plus three here');
    assert.equal(second.nextCursor, null);
  });
});
