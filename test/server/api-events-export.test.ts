import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MAX_EXPORT_ROWS } from '../../src/server/api/events-export.js';
import { at, json, PEOPLE, seedEvent, startApi, type Harness } from './api-harness.js';

/** GET /api/events/export: the list as a CSV file a finance person opens in a spreadsheet. */

/** The file's records, split as a spreadsheet would (quoted fields may hold the separator, quotes and line breaks). */
function parseCsv(text: string, separator: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      field += c;
    } else if (c === separator) {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return records;
}

describe('GET /api/events/export', () => {
  let h: Harness;
  const ids = { paid: 0, dead: 0, ignored: 0, tricky: 0 };
  before(async () => {
    h = await startApi({ dashboard: { timeZone: 'America/Bogota' } });
    ids.paid = (
      await seedEvent(h.store, {
        receivedAt: at(0),
        summary: {
          customer: { name: 'María Gómez', documentId: '1022761621', email: 'maria@example.com', phone: '+573005097363' },
          product: { name: 'Membresía Elite' },
          amount: 250000,
          currency: 'COP',
        },
      })
    ).id;
    ids.dead = (
      await seedEvent(h.store, {
        receivedAt: at(60_000),
        summary: { customer: { name: 'Juan' }, amount: 1350.5, currency: 'MXN' },
        stages: [{ stage: 'invoice_extraction', status: 'error', error: 'FR360: GET /invoices/9 answered 404' }],
        finalStatus: 'dead',
      })
    ).id;
    ids.ignored = (await seedEvent(h.store, { receivedAt: at(120_000), transactionStatus: 'rejected', finalStatus: 'ignored' })).id;
    // A name that a spreadsheet would run as a formula, with the separator, a quote and a line break.
    ids.tricky = (
      await seedEvent(h.store, {
        receivedAt: at(180_000),
        summary: {
          customer: { name: '=HYPERLINK("http://evil.example";"clic")', email: "+cmd|' /C calc'!A0", phone: '-1+1' },
          product: { name: 'Plan; "oro"\nanual' },
        },
      })
    ).id;
  });
  after(() => h.close());

  async function exportOf(query: string, caller = PEOPLE.finance) {
    return h.request('GET', `/api/events/export${query}`, await h.session(caller));
  }

  test('Spanish: a file Excel opens in Colombia (BOM, ";", decimal comma, Bogotá wall clock), newest first', async () => {
    const response = await exportOf('?lang=es');
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.equal(response.headers['content-disposition'], 'attachment; filename="webpig-eventos-2026-01-15.csv"');
    assert.ok(response.body.startsWith('\uFEFF'), 'a byte-order mark, so Excel reads UTF-8');
    const [header, ...rows] = parseCsv(response.body.slice(1), ';');
    assert.equal(header?.[0], 'ID');
    assert.equal(header?.[1], 'Recibido (America/Bogota)');
    assert.deepEqual(
      rows.map((row) => Number(row[0])),
      [ids.tricky, ids.ignored, ids.dead, ids.paid],
    );
    const byId = new Map(rows.map((row) => [Number(row[0]), row]));
    const column = (name: string) => header?.indexOf(name) ?? -1;
    const paid = byId.get(ids.paid);
    // T0 is 12:00 UTC, 07:00 in Bogotá.
    assert.equal(paid?.[1], '2026-01-15 07:00:00');
    assert.equal(paid?.[column('Estado')], 'Completado');
    assert.equal(paid?.[column('Transacción')], 'Aceptada');
    assert.equal(paid?.[column('Cliente')], 'María Gómez');
    assert.equal(paid?.[column('Teléfono')], '+573005097363');
    assert.equal(paid?.[column('Monto')], '250000');
    assert.equal(paid?.[column('Moneda')], 'COP');
    const dead = byId.get(ids.dead);
    assert.equal(dead?.[column('Monto')], '1350,5');
    assert.equal(dead?.[column('Estado')], 'Fallido');
    assert.equal(dead?.[column('Etapa con error')], 'Lectura de la factura');
    assert.equal(dead?.[column('Error')], 'FR360: GET /invoices/9 answered 404');
    assert.equal(byId.get(ids.ignored)?.[column('Por qué se ignoró')], 'pago rechazado');
  });

  test('English: "," and a decimal point; the same rows', async () => {
    const response = await exportOf('?lang=en');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-disposition'], 'attachment; filename="webpig-events-2026-01-15.csv"');
    const [header, ...rows] = parseCsv(response.body.slice(1), ',');
    const byId = new Map(rows.map((row) => [Number(row[0]), row]));
    const column = (name: string) => header?.indexOf(name) ?? -1;
    assert.equal(byId.get(ids.dead)?.[column('Amount')], '1350.5');
    assert.equal(byId.get(ids.dead)?.[column('Status')], 'Failed');
    assert.equal(byId.get(ids.dead)?.[column('Failed stage')], 'Invoice look-up');
    assert.equal(byId.get(ids.ignored)?.[column('Why ignored')], 'rejected payment');
  });

  test('a formula never runs, and the separator, quotes and line breaks stay inside their field', async () => {
    const response = await exportOf('?lang=es');
    const [header, ...rows] = parseCsv(response.body.slice(1), ';');
    const tricky = rows.find((row) => Number(row[0]) === ids.tricky);
    assert.equal(tricky?.length, header?.length, 'one field per column');
    assert.equal(tricky?.[header?.indexOf('Cliente') ?? -1], `'=HYPERLINK("http://evil.example";"clic")`);
    assert.equal(tricky?.[header?.indexOf('Correo') ?? -1], `'+cmd|' /C calc'!A0`);
    assert.equal(tricky?.[header?.indexOf('Teléfono') ?? -1], `'-1+1`);
    assert.equal(tricky?.[header?.indexOf('Producto') ?? -1], 'Plan; "oro"\nanual');
  });

  test('takes the list filters: only failed events, or only a day with none', async () => {
    const dead = parseCsv((await exportOf('?lang=es&status=dead')).body.slice(1), ';');
    assert.deepEqual(
      dead.slice(1).map((row) => Number(row[0])),
      [ids.dead],
    );
    const needsAttention = parseCsv((await exportOf('?columnState=error')).body.slice(1), ';');
    assert.deepEqual(
      needsAttention.slice(1).map((row) => Number(row[0])),
      [ids.dead],
    );
    const empty = await exportOf('?since=2026-02-01T05:00:00.000Z');
    assert.equal(empty.statusCode, 200);
    assert.equal(parseCsv(empty.body.slice(1), ';').length, 1, 'the header only');
  });

  test('bad input is refused as the list refuses it, and nobody signed out gets a file', async () => {
    const badLang = await exportOf('?lang=fr');
    assert.equal(badLang.statusCode, 400);
    assert.match(json<{ error: { message: string } }>(badLang).error.message, /^lang:/);
    const inverted = await exportOf('?since=2026-02-01T00:00:00.000Z&until=2026-01-01T00:00:00.000Z');
    assert.equal(inverted.statusCode, 400);
    const unknownPipeline = await exportOf('?pipeline=nope');
    assert.equal(unknownPipeline.statusCode, 400);
    const anonymous = await h.request('GET', '/api/events/export');
    assert.equal(anonymous.statusCode, 401);
  });

  test("docs/api.md's export request works as written, with a token", async () => {
    const guide = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = guide.slice(guide.indexOf('## Export'));
    const line = /```sh\n(curl [^\n]*)\n```/.exec(section)?.[1] ?? '';
    const url = /'(http:\/\/localhost:3000[^']*)'/.exec(line)?.[1] ?? '';
    assert.match(url, /\/api\/events\/export\?/, line);
    const served = await startApi({ listen: true });
    try {
      const dead = await seedEvent(served.store, { finalStatus: 'dead' });
      await seedEvent(served.store);
      const { token } = await served.token(['events:read']);
      const response = await fetch(url.replace('http://localhost:3000', served.baseUrl), {
        headers: { Authorization: line.includes('Bearer $WEBPIG_TOKEN') ? `Bearer ${token}` : '' },
      });
      assert.equal(response.status, 200, await response.clone().text());
      // fetch's text() drops the byte-order mark itself.
      const [header, ...rows] = parseCsv(await response.text(), ';');
      assert.equal(header?.[0], 'ID');
      assert.deepEqual(
        rows.map((row) => Number(row[0])),
        [dead.id],
      );
    } finally {
      await served.close();
    }
  });

  test(`more than ${MAX_EXPORT_ROWS} matching events: refused with the count and what to do, nothing read`, async () => {
    const big = await startApi();
    try {
      const events = Array.from({ length: MAX_EXPORT_ROWS + 1 }, (_, i) => ({
        source: 'epayco',
        providerEventId: `bulk-${i}`,
        entityKey: null,
        type: 'payment.updated',
        transactionStatus: 'accepted' as const,
        occurredAt: at(i),
        receivedAt: at(i),
        rawBody: Buffer.from('{}'),
        contentType: 'application/json',
        payload: {},
        summary: {},
      }));
      for (let i = 0; i < events.length; i += 5_000) await big.store.insertEvents(events.slice(i, i + 5_000));
      const response = await big.request('GET', '/api/events/export', await big.session(PEOPLE.finance));
      assert.equal(response.statusCode, 400);
      const { error } = json<{ error: { code: string; message: string } }>(response);
      assert.equal(error.code, 'EXPORT_TOO_LARGE');
      assert.match(error.message, new RegExp(`^${MAX_EXPORT_ROWS + 1} events match; an export holds at most ${MAX_EXPORT_ROWS}: narrow`));
      const oneDay = await big.request('GET', '/api/events/export?status=dead', await big.session(PEOPLE.finance));
      assert.equal(oneDay.statusCode, 200, 'a narrower filter is served');
    } finally {
      await big.close();
    }
  });
});
