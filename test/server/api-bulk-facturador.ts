/**
 * The case through the HTTP API, on the real Facturador against the sandbox (records
 * counted), shared by the SQLite and PostgreSQL test files: WORLDOFFICE_INVOICE_ENABLED off →
 * payments skip the invoice, and accounting and DIAN are "skipped — dependency is skipped";
 * the flag back on → POST /api/bulk/preview lists exactly invoice, accounting and DIAN per
 * event; POST /api/bulk/run (with a reason) runs those and nothing else; each effect lands once.
 */
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { facturadorColumns, facturadorFlags } from '../../examples/facturador/pipeline.js';
import { parseAuthConfig } from '../../src/config/auth.js';
import { apiPlugin } from '../../src/server/api/plugin.js';
import { createApiToken } from '../../src/server/auth/tokens.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import type { SandboxService } from '../../src/sandbox/sandbox-store.js';
import type { Store } from '../../src/store/store.js';
import { startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';
import { AUTH } from './api-harness.js';

const INVOICE = 'worldoffice_invoice_creation';
const FOLLOWING = ['worldoffice_invoice_accounting', 'worldoffice_dian_emission'];
const COLLECTIONS: [SandboxService, string][] = [
  ['worldoffice', 'customers'],
  ['worldoffice', 'invoices'],
  ['worldoffice', 'accountings'],
  ['worldoffice', 'emissions'],
  ['strapi', 'carteras'],
  ['strapi', 'facturacions'],
  ['callbell', 'messages'],
  ['frapp', 'memberships'],
  ['clientify', 'contacts'],
];

interface PreviewBody {
  preview: {
    count: number;
    stagesToRun: number;
    events: { eventId: number; plan: { stages: { stage: string; action: string; cause?: string }[] } }[];
    excluded: { reason: string; count: number }[];
  };
}
interface RunBody {
  result: { queued: { eventId: number; stages: string[] }[]; refused: unknown[] };
}

async function apiOn(
  h: FacturadorHarness,
): Promise<{ app: FastifyInstance; post: (url: string, body: unknown, scopes?: string[]) => Promise<{ status: number; body: unknown }> }> {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  await app.register(apiPlugin, {
    store: h.store,
    config: { pipelines: h.pipelines, flags: facturadorFlags, columns: facturadorColumns, auth: parseAuthConfig(AUTH) },
    mode: 'production',
  });
  await app.ready();
  const post = async (url: string, body: unknown, scopes = ['events:read', 'events:retry', 'stages:rerun']) => {
    const { token } = await createApiToken(h.store, {
      name: `t-${Math.random().toString(36).slice(2)}`,
      scopes,
      createdBy: 'test',
      now: new Date(),
    });
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return { status: res.statusCode, body: res.json() as unknown };
  };
  return { app, post };
}

const counts = (h: FacturadorHarness) => Object.fromEntries(COLLECTIONS.map(([s, c]) => [`${s}.${c}`, h.records(s, c).length]));
const attempts = async (store: Store, id: number) => Object.fromEntries((await store.getCheckpoints(id)).map((c) => [c.stage, c.attempts]));

export async function flagOffOnRerunThroughTheApi(store?: Store): Promise<void> {
  const h = await startFacturadorHarness(store ? { store } : {});
  const api = await apiOn(h);
  try {
    await h.setFlag('WORLDOFFICE_INVOICE_ENABLED', false);
    const ids = [
      await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '777001', state: '1' }),
      await h.sendConfirmation({ invoiceId: 'INV-373', refPayco: '777002', state: '1' }),
    ];
    for (const id of ids) {
      assert.equal((await h.waitForStatus(id, ['succeeded', 'dead'])).status, 'succeeded');
      for (const stage of FOLLOWING) assert.equal((await h.checkpoint(id, stage))?.skipReason?.kind, 'dependency', stage);
    }
    await h.setFlag('WORLDOFFICE_INVOICE_ENABLED', true);
    const request = { filter: { status: ['succeeded'], pipeline: 'facturador' }, rerun: INVOICE };

    // Bad input: 400 naming the field, nothing changed; the preview needs the action's scope.
    const before = { records: counts(h), attempts: await Promise.all(ids.map((id) => attempts(h.store, id))) };
    const bad = await api.post('/api/bulk/preview', { ...request, filter: { ...request.filter, stage: 'nope' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { code: string } }).error.code, 'INVALID_REQUEST', 'the code docs/api.md gives bad input');
    assert.match((bad.body as { error: { message: string } }).error.message, /^stage: unknown stage "nope"/);
    const badRun = await api.post('/api/bulk/run', { ...request, reason: 'x', filter: { since: 'yesterday' } });
    assert.equal(badRun.status, 400);
    assert.match((badRun.body as { error: { message: string } }).error.message, /^filter\.since: /);
    assert.equal((await api.post('/api/bulk/run', request)).status, 400, 'a run needs a reason');
    assert.equal(
      (await api.post('/api/bulk/preview', request, ['events:read', 'events:retry'])).status,
      403,
      'a re-run needs stages:rerun',
    );
    assert.deepEqual({ records: counts(h), attempts: await Promise.all(ids.map((id) => attempts(h.store, id))) }, before);

    const preview = await api.post('/api/bulk/preview', request);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const { preview: p } = preview.body as PreviewBody;
    assert.equal(p.count, 2);
    assert.equal(p.stagesToRun, 6);
    for (const item of p.events) {
      assert.deepEqual(
        item.plan.stages.filter((s) => s.action === 'run').map((s) => `${s.stage}:${s.cause}`),
        [`${INVOICE}:requested`, ...FOLLOWING.map((s) => `${s}:follows`)],
      );
      assert.equal(item.plan.stages.filter((s) => s.action === 'done').length, 9, 'every other stage is done and will not run');
    }

    const run = await api.post('/api/bulk/run', { ...request, reason: 'WorldOffice is back', eventIds: p.events.map((e) => e.eventId) });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const { result } = run.body as RunBody;
    assert.deepEqual(
      result.queued.map((q) => q.stages),
      [
        [INVOICE, ...FOLLOWING],
        [INVOICE, ...FOLLOWING],
      ],
    );
    await h.waitForIdle();

    // Only the planned stages ran (attempts), and only their effects were made (records).
    for (const [i, id] of ids.entries()) {
      const now = await attempts(h.store, id);
      for (const [stage, n] of Object.entries(before.attempts[i]!)) {
        const planned = stage === INVOICE || FOLLOWING.includes(stage);
        assert.equal(now[stage], planned ? n + 1 : n, `event ${id} ${stage}`);
      }
      assert.ok(
        (await h.store.getCheckpoints(id)).every((c) => c.status === 'success'),
        'no reason left false',
      );
    }
    const after = counts(h);
    const changed = Object.keys(after).filter((k) => after[k] !== before.records[k]);
    assert.deepEqual(changed, ['worldoffice.invoices', 'worldoffice.accountings', 'worldoffice.emissions']);
    assert.deepEqual(
      [after['worldoffice.invoices'], after['worldoffice.accountings'], after['worldoffice.emissions']],
      [2, 2, 2],
      'once per payment',
    );

    // Once done, the same request selects nothing: pressing it again cannot double anything.
    const again = (await api.post('/api/bulk/preview', request)).body as PreviewBody;
    assert.deepEqual([again.preview.count, again.preview.excluded], [0, [{ reason: 'already_succeeded', count: 2 }]]);
    const audits = (await h.store.listAudit({ action: 'stage.rerun' })).items;
    assert.deepEqual(
      audits.map((a) => a.details?.reason),
      ['WorldOffice is back', 'WorldOffice is back'],
    );
  } finally {
    await api.app.close();
    await h.close();
  }
}
