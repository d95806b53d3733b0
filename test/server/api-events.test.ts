import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { at, json, PEOPLE, seedEvent, startApi, withCsrf, type Harness } from './api-harness.js';

interface Row {
  id: number;
  status: string;
  columns: Record<string, { state: string; stages: string[] }>;
  checkpoints: Array<{ stage: string; status: string; durationMs: number | null; history: unknown[] }>;
  summary: { customer?: { name?: string } };
}
interface Page {
  items: Row[];
  nextCursor: string | null;
}

describe('/api without credentials', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('every /api route of the OpenAPI document (itself read without credentials) answers 401', async () => {
    const document = await h.request('GET', '/api/openapi.json');
    assert.equal(document.statusCode, 200, 'the document holds no data: no credentials needed');
    const paths = Object.entries(json<{ paths: Record<string, Record<string, unknown>> }>(document).paths).filter(([path]) =>
      path.startsWith('/api/'),
    );
    assert.ok(paths.length >= 18);
    for (const [path, methods] of paths) {
      for (const method of Object.keys(methods)) {
        const url = path.replace('{id}', '1').replace('{stage}', 'crm_upsert').replace('{key}', 'CRM_ENABLED');
        const response = await h.request(method.toUpperCase() as 'GET', url, undefined, method === 'get' ? undefined : { value: true });
        assert.equal(response.statusCode, 401, `${method} ${url}`);
        assert.equal(json<{ error: { code: string } }>(response).error.code, 'UNAUTHENTICATED');
      }
    }
  });

  test('a bad or revoked bearer token is 401, an unknown session cookie too', async () => {
    assert.equal((await h.request('GET', '/api/me', { headers: { authorization: 'Bearer wp_nope' } })).statusCode, 401);
    assert.equal((await h.request('GET', '/api/me', { headers: { authorization: 'Basic abc' } })).statusCode, 401);
    assert.equal((await h.request('GET', '/api/me', { headers: { cookie: 'webpig_session=forged' } })).statusCode, 401);
    const { headers, token } = await h.token(['events:read']);
    assert.equal((await h.request('GET', '/api/me', { headers })).statusCode, 200);
    const record = await h.store.findApiTokenByHash((await import('../../src/server/auth/tokens.js')).hashToken(token));
    assert.ok(record);
    await h.store.revokeApiToken(record.id, h.clock.now);
    assert.equal((await h.request('GET', '/api/me', { headers })).statusCode, 401);
  });

  test('an expired session is refused', async () => {
    const viewer = await h.session(PEOPLE.viewer);
    assert.equal((await h.request('GET', '/api/me', viewer)).statusCode, 200);
    const saved = h.clock.now;
    h.clock.now = new Date(saved.getTime() + 2 * 3_600_000);
    try {
      assert.equal((await h.request('GET', '/api/me', viewer)).statusCode, 401);
    } finally {
      h.clock.now = saved;
    }
  });

  test('a session of someone whose domain is no longer allowed is refused', async () => {
    const outsider = await h.session('mallory@evil.example');
    assert.equal((await h.request('GET', '/api/me', outsider)).statusCode, 401);
  });
});

describe('/api/me and /api/config', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('me reports roles, scopes, kind and the CSRF token', async () => {
    const admin = await h.session(PEOPLE.admin);
    const me = json<{ email: string; roles: string[]; scopes: string[]; kind: string; csrfToken: string }>(
      await h.request('GET', '/api/me', admin),
    );
    assert.equal(me.email, PEOPLE.admin);
    assert.deepEqual(me.roles, ['admin']);
    assert.ok(me.scopes.includes('flags:write') && me.scopes.includes('audit:read'));
    assert.equal(me.kind, 'session');
    assert.equal(me.csrfToken, admin.csrfToken);
    const viewer = json<{ roles: string[]; scopes: string[] }>(await h.request('GET', '/api/me', await h.session(PEOPLE.viewer)));
    assert.deepEqual(viewer.roles, ['viewer']);
    assert.deepEqual(viewer.scopes, ['events:read']);
    const bot = json<{ kind: string; csrfToken: null; email: string }>(
      await h.request('GET', '/api/me', await h.token(['events:read'], 'erp-bot')),
    );
    assert.equal(bot.kind, 'token');
    assert.equal(bot.email, 'token:erp-bot');
    assert.equal(bot.csrfToken, null);
  });

  test('config lists columns with their stages, Colombian defaults and no dev sign-in in production', async () => {
    const config = json<{
      columns: Array<{ key: string; stages: string[] }>;
      locale: string;
      timeZone: string;
      currency: string;
      devLogin: boolean;
      sources: string[] | null;
    }>(await h.request('GET', '/api/config', await h.session(PEOPLE.viewer)));
    assert.deepEqual(
      config.columns.map((c) => c.key),
      ['FRAPP', 'CRM', 'Factura', 'DIAN'],
    );
    assert.deepEqual(config.columns.find((c) => c.key === 'Factura')?.stages, [
      'worldoffice_invoice_creation',
      'worldoffice_invoice_accounting',
    ]);
    assert.equal(config.locale, 'es-CO');
    assert.equal(config.timeZone, 'America/Bogota');
    assert.equal(config.currency, 'COP');
    assert.equal(config.devLogin, false);
    assert.equal(config.sources, null, 'not told the sources: no list (any source name is accepted)');
  });
});

describe('GET /api/events', () => {
  let h: Harness;
  const ids: Record<string, number> = {};
  before(async () => {
    h = await startApi({
      sources: [
        { name: 'epayco', kind: 'epayco' },
        { name: 'mercadopago', kind: 'mercadopago' },
      ],
    });
    const reader = h.store;
    ids.ok = (
      await seedEvent(reader, {
        summary: {
          customer: { name: 'Juan Pérez', documentId: '1234567890', email: 'juan@example.com', phone: '3001234567' },
          references: { invoice: 'INV-1' },
        },
        stages: [
          { stage: 'membership_creation', status: 'success', durationMs: 100 },
          { stage: 'crm_upsert', status: 'success' },
          { stage: 'worldoffice_invoice_creation', status: 'success' },
          { stage: 'worldoffice_invoice_accounting', status: 'skipped' },
        ],
      })
    ).id;
    ids.factura = (
      await seedEvent(reader, {
        source: 'mercadopago',
        type: 'payment.created',
        summary: { customer: { name: 'Laura Gómez', email: 'laura@example.com' } },
        stages: [
          { stage: 'membership_creation', status: 'skipped' },
          { stage: 'worldoffice_invoice_creation', status: 'success' },
          { stage: 'worldoffice_invoice_accounting', status: 'error', error: 'Timeout after 30s' },
        ],
        finalStatus: 'dead',
      })
    ).id;
    ids.rejected = (await seedEvent(reader, { transactionStatus: 'rejected', finalStatus: 'ignored' })).id;
    ids.retrying = (
      await seedEvent(reader, {
        stages: [{ stage: 'crm_upsert', status: 'error' }],
        finalStatus: 'retrying',
        receivedAt: at(3_600_000),
      })
    ).id;
    ids.queued = (await seedEvent(reader, { finalStatus: 'queued', receivedAt: at(7_200_000) })).id;
  });
  after(() => h.close());

  async function list(query: string): Promise<Page> {
    const response = await h.request('GET', `/api/events${query}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    return json<Page>(response);
  }
  const idsOf = (page: Page) => page.items.map((row) => row.id).sort((a, b) => a - b);

  test('rows carry one cell per column: error beats skipped beats success; not_run; not_applicable', async () => {
    const page = await list('');
    assert.equal(page.items.length, 5);
    const ok = page.items.find((r) => r.id === ids.ok);
    assert.ok(ok);
    assert.equal(ok.columns.FRAPP?.state, 'success');
    assert.equal(ok.columns.Factura?.state, 'skipped', 'skipped beats success');
    assert.equal(ok.columns.DIAN?.state, 'not_run');
    assert.equal(ok.summary.customer?.name, 'Juan Pérez');
    assert.equal(ok.checkpoints.find((c) => c.stage === 'membership_creation')?.durationMs, 100);
    const factura = page.items.find((r) => r.id === ids.factura);
    assert.equal(factura?.columns.Factura?.state, 'error', 'error beats success');
    assert.equal(factura?.columns.FRAPP?.state, 'skipped');
    const rejected = page.items.find((r) => r.id === ids.rejected);
    assert.ok(Object.values(rejected?.columns ?? {}).every((cell) => cell.state === 'not_applicable'));
    assert.ok(!('rawBody' in (ok as object)) && !('payload' in (ok as object)), 'the list never carries raw bytes');
  });

  test('filters: status (comma list), source, type, transactionStatus', async () => {
    assert.deepEqual(idsOf(await list('?status=dead')), [ids.factura]);
    assert.deepEqual(
      idsOf(await list('?status=dead,retrying')),
      [ids.factura, ids.retrying].sort((a, b) => a! - b!),
    );
    assert.deepEqual(idsOf(await list('?source=mercadopago')), [ids.factura]);
    assert.deepEqual(idsOf(await list('?type=payment.created')), [ids.factura]);
    assert.deepEqual(idsOf(await list('?transactionStatus=rejected')), [ids.rejected]);
  });

  test('filters: column state ("any error", one column, success, not_run), date range, free text', async () => {
    assert.deepEqual(
      idsOf(await list('?columnState=error')),
      [ids.factura, ids.retrying].sort((a, b) => a! - b!),
    );
    assert.deepEqual(idsOf(await list('?column=Factura&columnState=error')), [ids.factura]);
    assert.deepEqual(idsOf(await list('?column=CRM&columnState=error')), [ids.retrying]);
    assert.deepEqual(idsOf(await list('?column=Factura&columnState=success')), [], 'skipped and error beat success');
    assert.deepEqual(idsOf(await list('?column=CRM&columnState=success')), [ids.ok]);
    assert.deepEqual(
      idsOf(await list('?column=DIAN&columnState=not_run')),
      [ids.ok, ids.factura, ids.retrying, ids.queued].sort((a, b) => a! - b!),
    );
    assert.deepEqual(idsOf(await list('?columnState=not_applicable')), [ids.rejected]);
    assert.deepEqual(idsOf(await list('?columnState=not_applicable&status=dead')), [], 'filters intersect');
    assert.deepEqual(
      idsOf(await list(`?since=${at(3_600_000).toISOString()}`)),
      [ids.retrying, ids.queued].sort((a, b) => a! - b!),
    );
    assert.deepEqual(idsOf(await list(`?since=${at(3_600_000).toISOString()}&until=${at(3_600_001).toISOString()}`)), [ids.retrying]);
    assert.deepEqual(idsOf(await list('?q=laura')), [ids.factura]);
    assert.deepEqual(idsOf(await list('?q=1234567890')), [ids.ok]);
    assert.deepEqual(idsOf(await list('?q=INV-1')), [ids.ok]);
  });

  test('free text as a finance person types it: without accents, a phone or a document as shown or said', async () => {
    const q = (typed: string) => list(`?q=${encodeURIComponent(typed)}`);
    assert.deepEqual(idsOf(await q('juan perez')), [ids.ok]);
    assert.deepEqual(idsOf(await q('LAURA GÓMEZ')), [ids.factura]);
    assert.deepEqual(idsOf(await q('laura gomez')), [ids.factura]);
    assert.deepEqual(idsOf(await q('+57 300 123 4567')), [ids.ok]);
    assert.deepEqual(idsOf(await q('300 123 4567')), [ids.ok]);
    assert.deepEqual(idsOf(await q('CC 1.234.567.890')), [ids.ok]);
    assert.deepEqual(idsOf(await q('300 123 4568')), []);
    assert.deepEqual(idsOf(await q('CC 1.234.567.891')), []);
  });

  test('bad filters are 400 naming the field, and change nothing', async () => {
    const viewer = await h.session(PEOPLE.viewer);
    for (const query of [
      '?status=exploded',
      '?columnState=purple',
      '?column=NOPE&columnState=error',
      '?since=yesterday',
      '?limit=0',
      '?limit=9999',
    ]) {
      const response = await h.request('GET', `/api/events${query}`, viewer);
      assert.equal(response.statusCode, 400, query);
      assert.equal(json<{ error: { code: string } }>(response).error.code, 'INVALID_REQUEST');
    }
  });

  test('the filters a bulk preview refuses are refused here too, with the same words', async () => {
    const viewer = await h.session(PEOPLE.viewer);
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const cases: Array<{ query: string; filter: Record<string, string>; message: RegExp }> = [
      {
        query: 'since=2026-12-05T00:00:00Z&until=2026-12-01T00:00:00Z',
        filter: { since: '2026-12-05T00:00:00Z', until: '2026-12-01T00:00:00Z' },
        message: /^since: must be before until$/,
      },
      {
        query: 'since=2026-12-01T00:00:00Z&until=2026-12-01T00:00:00Z',
        filter: { since: '2026-12-01T00:00:00Z', until: '2026-12-01T00:00:00Z' },
        message: /^since: must be before until$/,
      },
      { query: 'source=nope', filter: { source: 'nope' }, message: /^source: unknown source "nope" \(known: epayco, mercadopago\)$/ },
      { query: 'pipeline=nope', filter: { pipeline: 'nope' }, message: /^pipeline: unknown pipeline "nope" \(known: facturador\)$/ },
    ];
    for (const { query, filter, message } of cases) {
      const listed = await h.request('GET', `/api/events?${query}`, viewer);
      const previewed = await h.request('POST', '/api/bulk/preview', operator, { filter: { status: ['dead'], ...filter } });
      for (const [what, response] of [
        ['GET /api/events', listed],
        ['POST /api/bulk/preview', previewed],
      ] as const) {
        assert.equal(response.statusCode, 400, `${what} ${query}: ${response.body}`);
        const { error } = json<{ error: { code: string; message: string } }>(response);
        assert.equal(error.code, 'INVALID_REQUEST', `${what} ${query}`);
        assert.match(error.message, message, `${what} ${query}`);
      }
    }
    assert.deepEqual(idsOf(await list('?source=epayco&status=dead')), [], 'a configured source with no such event: an empty page');
  });

  test('the config lists the sources the filter accepts, so the page offers a choice instead of a guess', async () => {
    const config = json<{ sources: string[] | null }>(await h.request('GET', '/api/config', await h.session(PEOPLE.viewer)));
    assert.deepEqual(config.sources, ['epayco', 'mercadopago']);
  });

  test('cursor pagination walks every event exactly once, also with a post-filtered column state', async () => {
    const walk = async (query: string) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Page = await list(`?limit=2${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      return seen;
    };
    const all = await walk('');
    assert.equal(all.length, 5);
    assert.equal(new Set(all).size, 5);
    assert.deepEqual(
      all,
      [...all].sort((a, b) => b - a),
      'newest first',
    );
    const notRun = await walk('&column=DIAN&columnState=not_run');
    assert.deepEqual(
      notRun.sort((a, b) => a - b),
      [ids.ok, ids.factura, ids.retrying, ids.queued].sort((a, b) => a! - b!),
    );
  });
});

describe('GET /api/events/:id', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('a stored <script> comes back as JSON text, never HTML, and secrets are redacted from the raw view', async () => {
    const hostile = '<script>alert(1)</script>';
    const payload = {
      x_customer_name: hostile,
      x_signature: 'a3f1c9e0d4b2deadbeefsignature',
      x_cardnumber: '4575623182290326',
      nested: { client_secret: 'pi_secret_abc123', api_key: 'key-live-999', password: 'hunter2', fine: 'visible' },
    };
    const event = await seedEvent(h.store, {
      payload,
      rawBody: JSON.stringify(payload),
      summary: { customer: { name: hostile } },
      stages: [{ stage: 'crm_upsert', status: 'success', data: { note: hostile } }],
    });
    const response = await h.request('GET', `/api/events/${event.id}`, await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = json<{ event: Row; logs: Array<{ message: string }>; raw: string }>(response);
    assert.equal(body.event.summary.customer?.name, hostile, 'kept verbatim as data');
    assert.ok(body.raw.includes(hostile), 'the raw view is text: the page shows it with textContent');
    for (const secret of ['a3f1c9e0d4b2deadbeefsignature', '4575623182290326', 'pi_secret_abc123', 'key-live-999', 'hunter2']) {
      assert.ok(!body.raw.includes(secret), `raw view leaks ${secret}`);
      assert.ok(!response.body.includes(secret), `response leaks ${secret}`);
    }
    assert.ok(body.raw.includes('visible'));
    assert.ok(body.raw.includes('[redacted]'));
    assert.equal(body.logs[0]?.message, 'crm_upsert: success');
  });

  test('form-encoded bodies (ePayco) are redacted parameter by parameter', async () => {
    const event = await seedEvent(h.store, {
      rawBody: 'x_ref_payco=123&x_signature=topsecretsig&x_customer_name=Ana',
      contentType: 'application/x-www-form-urlencoded',
    });
    const body = json<{ raw: string }>(await h.request('GET', `/api/events/${event.id}`, await h.session(PEOPLE.viewer)));
    assert.ok(!body.raw.includes('topsecretsig'));
    assert.ok(body.raw.includes('x_customer_name=Ana'));
  });

  test('unknown id is 404, malformed id is 400', async () => {
    const viewer = await h.session(PEOPLE.viewer);
    assert.equal((await h.request('GET', '/api/events/999999', viewer)).statusCode, 404);
    assert.equal((await h.request('GET', '/api/events/abc', viewer)).statusCode, 400);
  });
});

describe('retry and re-run', () => {
  // Everything is seeded first: a retried event is runnable again and would be claimed by
  // a later seeding (which plays the worker).
  let h: Harness;
  let dead: EventRecord, done: EventRecord, deadCsrf: EventRecord, deadScope: EventRecord, rerun: EventRecord;
  before(async () => {
    h = await startApi();
    dead = await seedEvent(h.store, { stages: [{ stage: 'crm_upsert', status: 'error' }], finalStatus: 'dead' });
    done = await seedEvent(h.store, {});
    deadCsrf = await seedEvent(h.store, { finalStatus: 'dead' });
    deadScope = await seedEvent(h.store, { finalStatus: 'dead' });
    rerun = await seedEvent(h.store, {
      stages: [
        { stage: 'crm_upsert', status: 'success' },
        { stage: 'worldoffice_dian_emission', status: 'success' },
      ],
    });
  });
  after(() => h.close());
  test('an operator retries a dead event: queued, counted, audited with who and from where', async () => {
    const operator = await h.session(PEOPLE.operator);
    const response = await h.request('POST', `/api/events/${dead.id}/retry`, withCsrf(operator));
    assert.equal(response.statusCode, 200, response.body);
    const row = json<{ event: Row & { manualRetries: number } }>(response).event;
    assert.equal(row.status, 'queued');
    assert.equal(row.manualRetries, 1);
    const audit = await h.store.listAudit({ action: 'event.retry' });
    assert.equal(audit.items.length, 1);
    assert.equal(audit.items[0]?.actor, PEOPLE.operator);
    assert.equal(audit.items[0]?.target, `event:${dead.id}`);
    assert.equal(audit.items[0]?.remoteAddress, '127.0.0.1');
  });

  test('retrying a succeeded event is 409; an unknown one 404', async () => {
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const conflict = await h.request('POST', `/api/events/${done.id}/retry`, operator);
    assert.equal(conflict.statusCode, 409);
    assert.equal(json<{ error: { code: string } }>(conflict).error.code, 'NOT_RETRIABLE');
    assert.equal((await h.store.getEvent(done.id))?.status, 'succeeded');
    assert.equal((await h.request('POST', '/api/events/424242/retry', operator)).statusCode, 404);
  });

  test('without the CSRF header a cookie-authenticated change is 403 and changes nothing', async () => {
    const operator = await h.session(PEOPLE.operator);
    const missing = await h.request('POST', `/api/events/${deadCsrf.id}/retry`, operator);
    assert.equal(missing.statusCode, 403);
    assert.equal(json<{ error: { code: string } }>(missing).error.code, 'CSRF_TOKEN_INVALID');
    const wrong = await h.request('POST', `/api/events/${deadCsrf.id}/retry`, {
      headers: { ...operator.headers, 'x-csrf-token': 'x'.repeat(22) },
    });
    assert.equal(wrong.statusCode, 403);
    // As long as the token in characters, longer in bytes: timingSafeEqual threw, a 500.
    const nonAscii = await h.request('POST', `/api/events/${deadCsrf.id}/retry`, {
      headers: { ...operator.headers, 'x-csrf-token': 'é' + 'x'.repeat(operator.csrfToken.length - 1) },
    });
    assert.equal(nonAscii.statusCode, 403, nonAscii.body);
    assert.equal(json<{ error: { code: string } }>(nonAscii).error.code, 'CSRF_TOKEN_INVALID');
    assert.equal((await h.store.getEvent(deadCsrf.id))?.status, 'dead');
  });

  test('a viewer may not retry; a token needs events:retry', async () => {
    const viewer = withCsrf(await h.session(PEOPLE.viewer));
    assert.equal((await h.request('POST', `/api/events/${deadScope.id}/retry`, viewer)).statusCode, 403);
    const reader = await h.token(['events:read']);
    assert.equal((await h.request('POST', `/api/events/${deadScope.id}/retry`, reader)).statusCode, 403);
    assert.equal((await h.store.getEvent(deadScope.id))?.status, 'dead');
    const retrier = await h.token(['events:retry']);
    assert.equal((await h.request('POST', `/api/events/${deadScope.id}/retry`, retrier)).statusCode, 200, 'tokens need no CSRF header');
  });

  test('re-running one stage resets its checkpoint, queues the event and is audited', async () => {
    const event = rerun;
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const response = await h.request('POST', `/api/events/${event.id}/stages/worldoffice_dian_emission/rerun`, operator);
    assert.equal(response.statusCode, 200, response.body);
    const row = json<{ event: Row }>(response).event;
    assert.equal(row.status, 'queued');
    assert.equal(row.checkpoints.find((c) => c.stage === 'worldoffice_dian_emission')?.status, 'pending');
    assert.equal(row.checkpoints.find((c) => c.stage === 'crm_upsert')?.status, 'success');
    const audit = (await h.store.listAudit({ action: 'stage.rerun' })).items;
    assert.equal(audit[0]?.actor, PEOPLE.operator);
    assert.deepEqual(audit[0]?.details?.stage, 'worldoffice_dian_emission');
    assert.equal((await h.request('POST', `/api/events/${event.id}/stages/no_such_stage/rerun`, operator)).statusCode, 404);
    const viewer = withCsrf(await h.session(PEOPLE.viewer));
    assert.equal((await h.request('POST', `/api/events/${event.id}/stages/crm_upsert/rerun`, viewer)).statusCode, 403);
  });
});
