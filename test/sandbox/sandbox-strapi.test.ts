import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox-app.js';

/**
 * The sandbox's Strapi serves Strapi v5's REST shape (https://docs.strapi.io/cms/api/rest) and
 * refuses the old shapes with Strapi's own errors, `{ data: null, error: { status, name,
 * message, details } }` (https://docs.strapi.io/cms/error-handling), so a connector that
 * regresses to a plain query, a bare body or a v4 numeric id fails loudly.
 */
let sandbox: SandboxApp;
let app: FastifyInstance;

before(async () => {
  sandbox = await startSandboxApp();
  app = sandbox.app;
});
after(async () => sandbox.close());

const API = '/sandbox/strapi/api';
const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({ method, url, ...(payload ? { payload } : {}) });

function assertStrapiError(res: { statusCode: number; json(): unknown }, status: number, name: string, message: string): void {
  assert.equal(res.statusCode, status);
  const body = res.json() as { data: unknown; error: { status: number; name: string; message: string; details: unknown } };
  assert.equal(body.data, null);
  assert.deepEqual([body.error.status, body.error.name, body.error.message], [status, name, message]);
  assert.equal(typeof body.error.details, 'object');
}

describe("Strapi's REST shape (v5)", () => {
  it('counts a payment applied twice twice (the seeds bug is visible), and lists with meta.pagination', async () => {
    const created = await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-1', cedula: '1', total: 1_612_500 } });
    assert.equal(created.statusCode, 201);
    const cartera = created.json().data;
    assert.match(cartera.documentId, /^[a-z0-9]{24}$/);
    assert.equal(typeof cartera.id, 'number');
    assert.equal(cartera.payments, undefined, 'a component is not returned unless populated');
    await inject('POST', `${API}/carteras/${cartera.documentId}/payments`, { data: { reference: 'P-1', amount: 403_125 } });
    const twice = await inject('POST', `${API}/carteras/${cartera.documentId}/payments`, { data: { reference: 'P-1', amount: 403_125 } });
    assert.equal(twice.json().data.totalPaid, 806_250);
    assert.equal(twice.json().data.payments.length, 2);

    const found = await inject('GET', `${API}/carteras?filters[acuerdo][$eq]=AC-1&populate=payments`);
    assert.equal(found.statusCode, 200);
    assert.deepEqual(found.json().meta, { pagination: { page: 1, pageSize: 25, pageCount: 1, total: 1 } });
    assert.equal(found.json().data[0].documentId, cartera.documentId);
    assert.equal(found.json().data[0].payments.length, 2);
    const none = await inject('GET', `${API}/carteras?filters[acuerdo][$eq]=AC-2`);
    assert.deepEqual(none.json(), { data: [], meta: { pagination: { page: 1, pageSize: 25, pageCount: 0, total: 0 } } });
  });

  it('keeps two carteras of one agreement (no unique acuerdo), and deletes one by documentId: 204, no body', async () => {
    const first = (await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-TWO', cedula: '1', total: 10 } })).json().data;
    const second = (await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-TWO', cedula: '1', total: 10 } })).json().data;
    const both = await inject('GET', `${API}/carteras?filters[acuerdo][$eq]=AC-TWO`);
    assert.deepEqual(
      both.json().data.map((c: { documentId: string }) => c.documentId),
      [first.documentId, second.documentId],
    );
    const deleted = await inject('DELETE', `${API}/carteras/${second.documentId}`);
    assert.deepEqual([deleted.statusCode, deleted.body], [204, '']);
    const left = await inject('GET', `${API}/carteras?filters[acuerdo][$eq]=AC-TWO`);
    assert.deepEqual(
      left.json().data.map((c: { documentId: string }) => c.documentId),
      [first.documentId],
    );
    assertStrapiError(await inject('DELETE', `${API}/carteras/${second.documentId}`), 404, 'NotFoundError', 'Not Found');
  });

  it('creates, finds and partially updates a facturación record by documentId', async () => {
    const created = (await inject('POST', `${API}/facturacions`, { data: { reference: 'F-1', amount: 10, product: 'Curso' } })).json().data;
    assert.equal(created.id, 25264);
    const res = await inject('PUT', `${API}/facturacions/${created.documentId}`, { data: { amount: 20 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual([res.json().data.amount, res.json().data.product], [20, 'Curso'], 'fields not sent are kept');
    const found = await inject('GET', `${API}/facturacions?filters[reference][$eq]=F-1`);
    assert.deepEqual(
      found.json().data.map((f: { amount: number }) => f.amount),
      [20],
    );
  });
});

describe('the old shapes are refused with Strapi’s own errors', () => {
  it('a plain ?acuerdo= or ?reference= query (no filters[…][$eq]) is an Invalid key, not a list of everything', async () => {
    await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-OLD', cedula: '1', total: 10 } });
    assertStrapiError(await inject('GET', `${API}/carteras?acuerdo=AC-OLD`), 400, 'ValidationError', 'Invalid key acuerdo');
    assertStrapiError(await inject('GET', `${API}/facturacions?reference=F-1`), 400, 'ValidationError', 'Invalid key reference');
    assertStrapiError(await inject('GET', `${API}/carteras?filters[nope][$eq]=1`), 400, 'ValidationError', 'Invalid key nope');
  });

  it('a body without the { data } envelope is refused, and creates nothing', async () => {
    const before = sandbox.store.list('strapi', 'facturacions').length;
    assertStrapiError(
      await inject('POST', `${API}/facturacions`, { reference: 'F-PLAIN', amount: 1 }),
      400,
      'ValidationError',
      'Missing "data" payload in the request body',
    );
    assertStrapiError(
      await inject('POST', `${API}/carteras`, { acuerdo: 'AC-PLAIN', cedula: '1', total: 1 }),
      400,
      'ValidationError',
      'Missing "data" payload in the request body',
    );
    assert.equal(sandbox.store.list('strapi', 'facturacions').length, before);
  });

  it("v4's { data: { attributes } } and unknown fields are an Invalid key; a bad value names its field", async () => {
    assertStrapiError(
      await inject('POST', `${API}/facturacions`, { data: { attributes: { reference: 'F-V4', amount: 1 } } }),
      400,
      'ValidationError',
      'Invalid key attributes',
    );
    assertStrapiError(
      await inject('POST', `${API}/facturacions`, { data: { reference: 'F-X', amount: 1, documentId: '1234567890' } }),
      400,
      'ValidationError',
      'Invalid key documentId',
    );
    const bad = await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-P', cedula: '1', total: 1, phone: '3001234567' } });
    assertStrapiError(bad, 400, 'ValidationError', 'phone: an E.164 phone number like +573001234567');
  });

  it('the sandbox listing (not Strapi) refuses a filter query instead of answering every record', async () => {
    const res = await inject('GET', `/sandbox/strapi/carteras?filters[acuerdo][$eq]=AC-1`);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /takes no query \(Strapi's REST API is under \/sandbox\/strapi\/api\)/);
    assert.equal((await inject('GET', '/sandbox/strapi/carteras')).statusCode, 200);
  });

  it('a payment is taken out by documentId and reference; an unknown one is a NotFoundError', async () => {
    const cartera = (await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-DEL', cedula: '1', total: 100 } })).json().data;
    await inject('POST', `${API}/carteras/${cartera.documentId}/payments`, { data: { reference: 'P-DEL', amount: 40 } });
    const del = (url: string) => app.inject({ method: 'DELETE', url });
    assertStrapiError(await del(`${API}/carteras/${cartera.documentId}/payments?reference=P-NONE`), 404, 'NotFoundError', 'Not Found');
    assertStrapiError(await del(`${API}/carteras/${cartera.id}/payments?reference=P-DEL`), 404, 'NotFoundError', 'Not Found');
    assertStrapiError(
      await del(`${API}/carteras/${cartera.documentId}/payments`),
      400,
      'ValidationError',
      'reference: the reference of the payment to take out is required',
    );
    const removed = await del(`${API}/carteras/${cartera.documentId}/payments?reference=P-DEL`);
    assert.equal(removed.statusCode, 200);
    assert.deepEqual([removed.json().data.totalPaid, removed.json().data.balance, removed.json().data.payments], [0, 100, []]);
  });

  it("v4's numeric id in the path is Strapi 5's 404 NotFoundError, and changes nothing", async () => {
    const created = (await inject('POST', `${API}/facturacions`, { data: { reference: 'F-ID', amount: 5 } })).json().data;
    assertStrapiError(await inject('PUT', `${API}/facturacions/${created.id}`, { data: { amount: 6 } }), 404, 'NotFoundError', 'Not Found');
    const cartera = (await inject('POST', `${API}/carteras`, { data: { acuerdo: 'AC-ID', cedula: '1', total: 10 } })).json().data;
    assertStrapiError(
      await inject('POST', `${API}/carteras/${cartera.id}/payments`, { data: { reference: 'P', amount: 1 } }),
      404,
      'NotFoundError',
      'Not Found',
    );
    const [stored] = sandbox.store.findBy('strapi', 'facturacions', 'reference', 'F-ID');
    assert.equal(stored?.amount, 5);
  });
});
