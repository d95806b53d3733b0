/**
 * One table from error codes to HTTP statuses (core/http-errors.ts): the webhook endpoint's
 * reply, its rejection log and its metrics, and a source's SourceError all read it, so a
 * refusal is answered and recorded with the same status and code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { httpFailureOf, installErrorHandler } from '../../src/server/http-errors.js';
import { SourceError, type SourceErrorCode } from '../../src/sources/source.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { customBody, signCustom, TEST_SECRETS } from '../helpers/signing.js';

/** The statuses webpig promises providers (docs/webhooks), written out here on purpose. */
const SOURCE_STATUSES: Record<SourceErrorCode, number> = {
  MALFORMED_BODY: 400,
  MISSING_FIELD: 400,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_OUT_OF_TOLERANCE: 401,
  VALIDATION_MISMATCH: 401,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_UNAVAILABLE: 503,
};

describe('one table from error codes to HTTP statuses', () => {
  it('answers every SourceError with its status and code, as the error carries them', async () => {
    const app = Fastify({ logger: false });
    installErrorHandler(app);
    app.get('/refuse/:code', async (request) => {
      const { code } = request.params as { code: SourceErrorCode };
      throw new SourceError(code, `refused: ${code}`);
    });
    try {
      for (const [code, status] of Object.entries(SOURCE_STATUSES) as Array<[SourceErrorCode, number]>) {
        const error = new SourceError(code, 'x');
        assert.equal(error.statusCode, status, `SourceError ${code}`);
        assert.deepEqual(httpFailureOf(error), { statusCode: status, code, message: 'x' });
        const reply = await app.inject({ method: 'GET', url: `/refuse/${code}` });
        assert.equal(reply.statusCode, status, `reply for ${code}`);
        assert.deepEqual(reply.json(), { error: { code, message: `refused: ${code}` } });
      }
    } finally {
      await app.close();
    }
  });

  it('maps Fastify’s own refusals to webpig codes, and hides unexpected errors', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    assert.deepEqual(httpFailureOf(tooLarge), { statusCode: 413, code: 'BODY_TOO_LARGE', message: 'Request body is too large' });
    const otherClientError = Object.assign(new Error('nope'), { statusCode: 422 });
    assert.deepEqual(httpFailureOf(otherClientError), { statusCode: 422, code: 'BAD_REQUEST', message: 'nope' });
    assert.deepEqual(httpFailureOf(new Error('secret detail')), {
      statusCode: 500,
      code: 'INTERNAL',
      message: 'internal error',
      unexpected: true,
    });
  });

  describe('the webhook endpoint', () => {
    let server: IngestServer;
    before(async () => {
      server = await startIngestServer({ bodyLimitBytes: 2048 });
    });
    after(async () => server.close());

    const cases: Array<{ name: string; request: () => { url: string; init: RequestInit }; status: number; code: string }> = [
      {
        name: 'a bad signature',
        request: () => {
          const signed = signCustom({ secret: 'wrong', body: customBody(), timestampHeader: 'x-webpig-timestamp' });
          return { url: '/webhooks/shop', init: { method: 'POST', headers: signed.headers, body: signed.body } };
        },
        status: 401,
        code: 'SIGNATURE_INVALID',
      },
      {
        name: 'an unknown source',
        request: () => ({ url: '/webhooks/nobody', init: { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } } }),
        status: 404,
        code: 'UNKNOWN_SOURCE',
      },
      {
        name: 'a body over the limit (refused by Fastify before the handler)',
        request: () => {
          const signed = signCustom({
            secret: TEST_SECRETS.custom,
            body: customBody({ padToBytes: 4096 }),
            timestampHeader: 'x-webpig-timestamp',
          });
          return { url: '/webhooks/shop', init: { method: 'POST', headers: signed.headers, body: signed.body } };
        },
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'a GET to a source that takes POSTs',
        request: () => ({ url: '/webhooks/shop', init: { method: 'GET' } }),
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
      },
    ];

    for (const refusal of cases) {
      it(`answers and logs ${refusal.name} with the same status and code`, async () => {
        const { url, init } = refusal.request();
        const response = await fetch(`${server.baseUrl}${url}`, init);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(response.status, refusal.status);
        assert.equal(body.error.code, refusal.code);
        const [logged] = await server.store.listRejections(1);
        assert.equal(logged?.httpStatus, refusal.status, 'the rejection log has the reply’s status');
        assert.match(logged?.reason ?? '', new RegExp(`^${refusal.code}: `), 'and its code');
        const metrics = await server.registry.getSingleMetricAsString('webpig_webhook_rejections_total');
        assert.match(metrics, new RegExp(`reason="${refusal.code}"`), 'the metric counts it under the same code');
      });
    }
  });
});
