import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { json, PEOPLE, seedEvent, startApi, withCsrf } from './api-harness.js';

/**
 * The API's permission checks do not depend on the store: the seeds' hole (a flag changed by
 * someone not on its list), CSRF and scopes, on PostgreSQL.
 */
describe('API permissions on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  test('flag lists, token scopes, CSRF and retry behave as on SQLite', async () => {
    const { url } = await schemas.create();
    const h = await startApi({ openStore: () => openStore(url) });
    try {
      assert.equal(h.store.dialect, 'postgres');
      const finance = withCsrf(await h.session(PEOPLE.finance));
      const refused = await h.request('PUT', '/api/flags/MEMBERSHIPS_ENABLED', finance, { value: false, reason: 'FRAPP is down' });
      assert.equal(refused.statusCode, 403);
      assert.equal((await h.store.getFlag('MEMBERSHIPS_ENABLED'))?.value, true);
      const allowed = await h.request('PUT', '/api/flags/WORLDOFFICE_INVOICE_ENABLED', finance, { value: false, reason: 'ERP down' });
      assert.equal(allowed.statusCode, 200, allowed.body);
      assert.equal((await h.store.listAudit({ action: 'flag.set' })).items[0]?.actor, PEOPLE.finance);
      const noScope = await h.request('PUT', '/api/flags/WORLDOFFICE_DIAN_ENABLED', await h.token(['events:read'], 'erp-bot'), {
        value: false,
        reason: 'DIAN down',
      });
      assert.equal(noScope.statusCode, 403);

      const dead = await seedEvent(h.store, { stages: [{ stage: 'crm_upsert', status: 'error' }], finalStatus: 'dead' });
      const operator = await h.session(PEOPLE.operator);
      assert.equal((await h.request('POST', `/api/events/${dead.id}/retry`, operator)).statusCode, 403, 'no CSRF header');
      const retried = await h.request('POST', `/api/events/${dead.id}/retry`, withCsrf(operator));
      assert.equal(retried.statusCode, 200, retried.body);
      const list = json<{ items: Array<{ id: number; columns: Record<string, { state: string }> }> }>(
        await h.request('GET', '/api/events?column=CRM&columnState=error', operator),
      );
      assert.deepEqual(
        list.items.map((r) => r.id),
        [dead.id],
      );
    } finally {
      await h.close();
    }
  });
});
