import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXPLAINED_CODES, explainError } from '../../src/dashboard/app/errors.js';
import { filtersFromSearch, searchFromFilters, eventIdFromPath } from '../../src/dashboard/app/url.js';
import { NO_FILTERS } from '../../src/dashboard/app/types.js';

describe('errors said for people', () => {
  test('every known code has its own words in Spanish and English, never the code itself', () => {
    assert.ok(EXPLAINED_CODES.length >= 40);
    for (const code of EXPLAINED_CODES) {
      for (const language of ['es', 'en'] as const) {
        const plain = explainError(language, { message: 'x', code, retriable: false });
        assert.ok(plain.what.length > 10 && plain.next.length > 10, `${code} ${language}`);
        assert.ok(!plain.what.includes(code) && !plain.next.includes(code), `${code} ${language} says the code`);
      }
      assert.notEqual(
        explainError('es', { message: 'x', code, retriable: false }).what,
        explainError('en', { message: 'x', code, retriable: false }).what,
        code,
      );
    }
  });

  test('HTTP codes by status, also a service-prefixed one; unknown codes by retriable', () => {
    const notFound = explainError('es', {
      message: 'FR360: GET /invoices/1 answered 404',
      code: 'HTTP_404',
      retriable: false,
      httpStatus: 404,
    });
    assert.match(notFound.what, /no encontró/);
    assert.equal(
      explainError('en', { message: 'x', code: 'SHOP_HTTP_404', retriable: false }).what,
      explainError('en', { message: 'x', code: 'HTTP_404', retriable: false }).what,
    );
    assert.match(explainError('en', { message: 'x', code: 'HTTP_503', retriable: true }).what, /internal failure/);
    assert.match(explainError('en', { message: 'x', code: 'HTTP_422', retriable: false }).next, /will fail again/);
    assert.match(explainError('es', { message: 'x', code: 'HTTP_429', retriable: true }).what, /demasiadas solicitudes/);
    assert.match(explainError('en', { message: 'x', code: 'TIMEOUT', retriable: true }).what, /took too long/);
    assert.match(explainError('en', { message: 'x', code: 'NETWORK', retriable: true }).what, /Could not connect/);
    assert.match(explainError('en', { message: 'x', code: 'SOMETHING_NEW', retriable: false }).next, /will fail again/);
    assert.match(explainError('en', { message: 'x', retriable: true }).next, /retried automatically/);
  });

  test('on a dead event a retriable error no longer says it retries by itself', () => {
    assert.match(explainError('es', { message: 'x', code: 'TIMEOUT', retriable: true }, true).next, /Se agotaron los reintentos/);
    assert.match(explainError('es', { message: 'x', code: 'HTTP_404', retriable: false }, true).next, /Confirme que el registro existe/);
  });
});

describe('an error names the system of the stage that failed', () => {
  const NOT_FOUND = { message: 'invoice UNKNOWN-90446675 not found in FR360', code: 'FR360_HTTP_404', retriable: false };
  test('with the stage label, "the other system" and "that system" become the system behind that stage', () => {
    const es = explainError('es', NOT_FOUND, true, 'Consulta de la factura en FR360');
    assert.equal(es.what, 'El sistema de “Consulta de la factura en FR360” no encontró lo que se buscó (no existe o aún no se ha creado).');
    assert.match(es.next, /^Confirme que el registro existe en el sistema de “Consulta de la factura en FR360”/);
    const en = explainError('en', NOT_FOUND, true, 'FR360 invoice look-up');
    assert.match(en.what, /^The system behind “FR360 invoice look-up” did not find/);
    assert.match(en.next, /exists in the system behind “FR360 invoice look-up”/);
  });

  test('every wording stays grammatical with a label; without one nothing changes', () => {
    const label = 'Factura en WorldOffice';
    const codes = [...EXPLAINED_CODES, 'HTTP_401', 'HTTP_409', 'HTTP_429', 'HTTP_500', 'HTTP_422', undefined];
    for (const code of codes) {
      for (const retriable of [true, false]) {
        const error = { message: 'x', retriable, ...(code ? { code } : {}) };
        const es = explainError('es', error, true, label);
        const text = `${es.what} ${es.next}`;
        assert.doesNotMatch(text, /otro sistema|ese sistema|\bal? el sistema|\S“/, `${code ?? '-'}: ${text}`);
        const en = explainError('en', error, true, label);
        assert.doesNotMatch(`${en.what} ${en.next}`, /other system|that system|\S“/, `${code ?? '-'}`);
        assert.deepEqual(explainError('es', error, true), explainError('es', error, true, null));
      }
    }
  });
});

describe('the address of the page', () => {
  test('filters round-trip through the query; junk is dropped', () => {
    const filters = {
      ...NO_FILTERS,
      status: 'dead' as const,
      columnState: 'error' as const,
      pipeline: 'stripe_orders',
      since: '2026-12-01',
      q: 'Ana Gómez',
    };
    assert.deepEqual(filtersFromSearch(searchFromFilters(filters)), filters);
    assert.equal(searchFromFilters(NO_FILTERS), '');
    assert.deepEqual(filtersFromSearch('?status=exploded&since=yesterday&columnState=purple&x=1'), NO_FILTERS);
    // The home's money figures: a group of statuses, a currency, handled, stages switched off.
    const figure = {
      ...NO_FILTERS,
      status: 'queued,processing' as const,
      currency: 'COP',
      handled: 'false' as const,
      stagesOff: 'true' as const,
    };
    assert.deepEqual(filtersFromSearch(searchFromFilters(figure)), figure);
    assert.deepEqual(filtersFromSearch('?status=dead,ignored&currency=pesos&handled=maybe&stagesOff=1'), NO_FILTERS);
  });

  test('/events/<id> names the event to open', () => {
    assert.equal(eventIdFromPath('/events/79'), 79);
    assert.equal(eventIdFromPath('/events/79/'), 79);
    assert.equal(eventIdFromPath('/events/abc'), null);
    assert.equal(eventIdFromPath('/'), null);
  });
});
