import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json, PEOPLE, seedEvent, startApi, type Harness } from './api-harness.js';

/** Where and why an event failed, "needs attention", and each pipeline's own columns (issue 13). */

interface Row {
  id: number;
  columns: Record<string, { state: string; stages: string[] }>;
}

describe('GET /api/events: where and why (failure), needs attention, pipelines', () => {
  let h: Harness;
  const ids = { noColumn: 0, noStage: 0, ok: 0, ignored: 0 };
  before(async () => {
    h = await startApi();
    const store = h.store;
    // Dead at a stage with no column: every cell is "not run", the failure says where.
    ids.noColumn = (
      await seedEvent(store, {
        stages: [{ stage: 'invoice_extraction', status: 'error', error: 'FR360: GET /invoices/9 answered 404' }],
        finalStatus: 'dead',
      })
    ).id;
    // Dead before any stage (the pipeline's own code threw): the failure has no stage.
    ids.noStage = (await seedEvent(store, { finalStatus: 'dead' })).id;
    ids.ok = (await seedEvent(store, { stages: [{ stage: 'crm_upsert', status: 'success' }] })).id;
    ids.ignored = (await seedEvent(store, { transactionStatus: 'rejected', finalStatus: 'ignored' })).id;
  });
  after(() => h.close());

  type FailureRow = Row & {
    failure: { stage: string | null; error: { message: string; code?: string } } | null;
    ignoreReason: { detail: string; texts?: { es?: string; en?: string } } | null;
  };
  async function list(query: string): Promise<{ items: FailureRow[] }> {
    const response = await h.request('GET', `/api/events${query}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    return json<{ items: FailureRow[] }>(response);
  }

  test('failure names the stage in error even without a column, or none; ignored rows carry their reason', async () => {
    const rows = new Map((await list('')).items.map((row) => [row.id, row]));
    const noColumn = rows.get(ids.noColumn);
    assert.deepEqual(noColumn?.failure?.stage, 'invoice_extraction');
    assert.equal(noColumn?.failure?.error.message, 'FR360: GET /invoices/9 answered 404');
    assert.equal(noColumn?.failure?.error.code, 'TIMEOUT');
    assert.ok(
      Object.values(noColumn?.columns ?? {}).every((cell) => cell.state === 'not_run'),
      'no column shows it',
    );
    assert.deepEqual(rows.get(ids.noStage)?.failure, { stage: null, error: { message: 'WorldOffice timeout', retriable: true } });
    assert.equal(rows.get(ids.ok)?.failure, null);
    assert.equal(rows.get(ids.ignored)?.failure, null);
    assert.equal(rows.get(ids.ignored)?.ignoreReason?.detail, 'rejected payment');
    // The pipeline's reason in both languages reaches the dashboard (the reply schema keeps it).
    assert.deepEqual(rows.get(ids.ignored)?.ignoreReason?.texts, { es: 'pago rechazado', en: 'rejected payment' });
  });

  test('columnState=error finds every event that needs attention: each dead one, failed stage or not', async () => {
    const errors = (await list('?columnState=error')).items.map((row) => row.id).sort((a, b) => a - b);
    const dead = (await list('?status=dead')).items.map((row) => row.id).sort((a, b) => a - b);
    assert.deepEqual(
      dead,
      [ids.noColumn, ids.noStage].sort((a, b) => a - b),
    );
    assert.deepEqual(errors, dead);
    assert.deepEqual((await list('?columnState=error&status=dead')).items.length, 2);
  });

  test('pipeline filter, and /api/config describes each pipeline with its own columns and stage labels', async () => {
    assert.equal((await list('?pipeline=facturador')).items.length, 4);
    const bad = await h.request('GET', '/api/events?pipeline=stripe', await h.session(PEOPLE.viewer));
    assert.equal(bad.statusCode, 400);
    assert.match(json<{ error: { message: string } }>(bad).error.message, /unknown pipeline "stripe" \(known: facturador\)/);
    const config = json<{
      pipelines: Array<{ name: string; columns: string[]; stages: Array<{ name: string; label: unknown; column: string | null }> }>;
    }>(await h.request('GET', '/api/config', await h.session(PEOPLE.viewer)));
    assert.equal(config.pipelines.length, 1);
    assert.deepEqual(config.pipelines[0]?.columns, ['FRAPP', 'CRM', 'Factura', 'DIAN']);
    assert.deepEqual(config.pipelines[0]?.stages[0], {
      name: 'invoice_extraction',
      label: { es: 'Lectura de la factura', en: 'Invoice look-up' },
      column: null,
      dependsOn: [],
      maxAttempts: 4,
      flag: null,
    });
    assert.equal(config.pipelines[0]?.stages[1]?.label, null);
    assert.equal(
      (config.pipelines[0]?.stages[1] as { flag?: string } | undefined)?.flag,
      'MEMBERSHIPS_ENABLED',
      'the page can offer what a flag skipped',
    );
  });
});
