/**
 * A stage in webpig.config.ts throws the errors of the webpig copy that the config imported;
 * the CLI loads the config through tsx in its own module namespace, so those classes are not
 * the engine's classes (instanceof fails) even for the same file. The engine must still tell
 * a PermanentError from a retriable one, or a permanent failure would be retried for minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tsImport } from 'tsx/esm/api';
import * as own from '../../src/core/errors.js';
import { classifyError, HttpCallError, requestedRetryDelayMs } from '../../src/engine/errors.js';

type CoreErrors = typeof own;
type EngineErrors = { HttpCallError: typeof HttpCallError };

const copy = (await tsImport(new URL('../../src/core/errors.ts', import.meta.url).href, import.meta.url)) as CoreErrors;
const engineCopy = (await tsImport(new URL('../../src/engine/errors.ts', import.meta.url).href, import.meta.url)) as EngineErrors;

describe('errors from another copy of webpig', () => {
  it('are other classes (the situation this guards against is real)', () => {
    assert.notEqual(copy.PermanentError, own.PermanentError);
    assert.ok(!(new copy.PermanentError('x') instanceof own.PermanentError));
  });

  it('are classified by what they are: permanent, retriable with its delay, HTTP by status', () => {
    assert.deepEqual(classifyError(new copy.PermanentError('NIT inválido', { code: 'ERP_REJECTED' })), {
      message: 'NIT inválido',
      code: 'ERP_REJECTED',
      retriable: false,
    });
    class InvoiceRejected extends copy.PermanentError {}
    assert.equal(classifyError(new InvoiceRejected('subclass')).retriable, false, 'a subclass of PermanentError is permanent');
    const retriable = new copy.RetriableError('busy', { retryAfterMs: 90_000 });
    assert.equal(classifyError(retriable).retriable, true);
    assert.equal(requestedRetryDelayMs(retriable), 90_000);
    const notFound = new engineCopy.HttpCallError(404, 'no such customer');
    assert.deepEqual(classifyError(notFound), { message: 'no such customer', code: 'HTTP_404', retriable: false, httpStatus: 404 });
    assert.equal(classifyError(new engineCopy.HttpCallError(503, 'down', { retryAfterMs: 5_000 })).retriable, true);
    assert.equal(requestedRetryDelayMs(new engineCopy.HttpCallError(429, 'slow down', { retryAfterMs: 5_000 })), 5_000);
  });

  it('an ordinary error named like ours is not taken for one of ours', () => {
    class PermanentError extends Error {}
    assert.equal(classifyError(new PermanentError('look-alike')).retriable, true);
  });
});
