import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';
import { json, PEOPLE, seedEvent, startApi, withCsrf } from './api-harness.js';

/**
 * A source removed from the config after it received deliveries (old_shop): its stored events
 * stay listable by it (the list, its CSV export, a bulk preview), the config offers it as no
 * longer configured, and a name that never had events is still refused with the names that exist.
 * Run against each store (api-removed-source.test.ts, api-removed-source.postgres.test.ts).
 */
export async function removedSourceCases(options: { openStore?: () => Promise<Store> } = {}): Promise<void> {
  const sources = [
    { name: 'epayco', kind: 'epayco' as const },
    { name: 'mercadopago', kind: 'mercadopago' as const },
  ];
  const h = await startApi({ sources, ...options });
  try {
    const paid = await seedEvent(h.store, { source: 'epayco' });
    const oldPaid = await seedEvent(h.store, { source: 'old_shop' });
    const oldFailed = await seedEvent(h.store, { source: 'old_shop', finalStatus: 'dead' });
    const viewer = await h.session(PEOPLE.viewer);
    const operator = withCsrf(await h.session(PEOPLE.operator));

    const config = json<{ sources: string[]; removedSources: string[] }>(await h.request('GET', '/api/config', viewer));
    assert.deepEqual(config.sources, ['epayco', 'mercadopago']);
    assert.deepEqual(config.removedSources, ['old_shop'], 'mercadopago has no events but is configured; old_shop only has events');

    const ids = async (query: string) => {
      const response = await h.request('GET', `/api/events${query}`, viewer);
      assert.equal(response.statusCode, 200, `${query}: ${response.body}`);
      return json<{ items: Array<{ id: number; source: string }> }>(response).items.map((row) => row.id);
    };
    assert.deepEqual(await ids('?source=old_shop'), [oldFailed.id, oldPaid.id]);
    assert.deepEqual(await ids('?source=old_shop&status=dead'), [oldFailed.id]);
    assert.deepEqual(await ids('?source=epayco'), [paid.id], 'a configured source still filters as before');

    const csv = await h.request('GET', '/api/events/export?source=old_shop&lang=en', viewer);
    assert.equal(csv.statusCode, 200, csv.body);
    assert.equal(csv.body.trim().split('\n').length, 3, `the header and old_shop's two events:\n${csv.body}`);

    const preview = await h.request('POST', '/api/bulk/preview', operator, { filter: { status: ['dead'], source: 'old_shop' } });
    assert.equal(preview.statusCode, 200, preview.body);
    const plan = json<{ preview: { events: Array<{ eventId: number }> } }>(preview).preview;
    assert.deepEqual(
      plan.events.map((e) => e.eventId),
      [oldFailed.id],
    );

    // A name that never had an event: refused by the list and the bulk preview alike, naming what exists.
    const known = /^source: unknown source "old_shpo" \(known: epayco, mercadopago; no longer configured, with stored events: old_shop\)$/;
    for (const [what, response] of [
      ['GET /api/events', await h.request('GET', '/api/events?source=old_shpo', viewer)],
      ['GET /api/events/export', await h.request('GET', '/api/events/export?source=old_shpo', viewer)],
      [
        'POST /api/bulk/preview',
        await h.request('POST', '/api/bulk/preview', operator, { filter: { status: ['dead'], source: 'old_shpo' } }),
      ],
    ] as const) {
      assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
      const { error } = json<{ error: { code: string; message: string } }>(response);
      assert.equal(error.code, 'INVALID_REQUEST', what);
      assert.match(error.message, known, what);
    }
  } finally {
    await h.close();
  }

  // A server not told its sources accepts any name and marks none as removed.
  const untold = await startApi(options);
  try {
    await seedEvent(untold.store, { source: 'old_shop' });
    const config = json<{ sources: null; removedSources: string[] }>(
      await untold.request('GET', '/api/config', await untold.session(PEOPLE.viewer)),
    );
    assert.deepEqual([config.sources, config.removedSources], [null, []]);
  } finally {
    await untold.close();
  }
}
