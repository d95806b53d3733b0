/**
 * redactUrl: a URL is stored as given only when it has no user:password part and no query
 * parameter whose name (decoded) reads as a secret's; otherwise those parts are redacted.
 * redactedJsonText prints what redactJson keeps, in one pass, finding a secret wherever it
 * sits (a body without one is printed without the redacting replacer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue } from '../../src/core/types.js';
import { redactedJsonText, redactJson, redactUrl, redactText } from '../../src/core/redaction.js';

describe('redactUrl', () => {
  it('keeps a URL without secrets as it is', () => {
    for (const url of [
      'http://127.0.0.1:4000/sandbox/worldoffice/invoices/7/dian',
      'https://api.example.com/invoices?reference=FV-1&page=2',
    ]) {
      assert.equal(redactUrl(url), url);
    }
  });

  it('redacts secret-named query parameters, however their names are written', () => {
    const cases: [string, string][] = [
      ['https://api.example.com/x?token=abc&page=2', 'token'],
      ['https://api.example.com/x?page=2&%74oken=abc', 'token'],
      ['https://api.example.com/x?api+key=abc', 'api key'],
      ['https://api.example.com/x?x_signature=abc#frag', 'x_signature'],
    ];
    for (const [url, name] of cases) {
      const redacted = new URL(redactUrl(url));
      assert.equal(redacted.searchParams.get(name), '[redacted]', url);
      assert.doesNotMatch(redactUrl(url), /abc/, url);
    }
  });

  it('redacts a password in the URL, and a name that cannot be decoded is treated as secret', () => {
    assert.doesNotMatch(redactUrl('https://ana:hunter2@api.example.com/x'), /hunter2/);
    assert.doesNotMatch(redactUrl('https://api.example.com/x?%74oken%E0=abc'), /abc/);
  });

  it('redacts text that is not a URL line by line', () => {
    assert.equal(redactUrl('not a url token=abc 4111111111111111'), 'not a url token=[redacted] [redacted]');
  });
});

describe('redactedJsonText', () => {
  it('prints exactly what redactJson keeps, secrets and card numbers out', () => {
    const value: JsonValue = {
      customer: { name: 'Ana', email: 'ana@example.com', card: { number: '4111111111111111' } },
      items: [{ sku: 'A', api_key: 'k1' }, ['4111-1111-1111-1111', 7, null], 'x'],
      x_signature: 'abc',
      'idempotency-key': 'webpig:epayco:1:stage',
      note: '4111 1111 1111 1111',
      amount: 403125,
      ok: true,
    };
    const text = redactedJsonText(value);
    assert.equal(text, JSON.stringify(redactJson(value), null, 2));
    assert.doesNotMatch(text, /4111|abc|k1/);
    assert.match(text, /webpig:epayco:1:stage/);
  });

  it('finds a lone secret however deep it sits, and prints a body without one as it is', () => {
    const hidden: JsonValue[] = [
      { data: [{ attributes: { nested: { access_token: 'abc' } } }] },
      { data: [[{ note: 'x' }, ['4111111111111111']]] },
      { data: { note: '\u00a04111 1111 1111 1111' } },
      [{ ok: true }, { authorization: { scheme: 'Bearer' } }],
    ];
    for (const value of hidden) {
      const text = redactedJsonText(value);
      assert.equal(text, JSON.stringify(redactJson(value), null, 2));
      assert.match(text, /\[redacted\]/, JSON.stringify(value));
      assert.doesNotMatch(text, /abc|4111|Bearer/);
    }
    const plain: JsonValue = { id: 7, reference: 'FV-1001', customer: { name: 'Ana', documentId: '1012345678' }, lines: [1, 'two', null] };
    assert.equal(redactedJsonText(plain), JSON.stringify(plain, null, 2));
  });

  it('redacts what a value printed by its own toJSON says', () => {
    const card = { toJSON: () => '4111111111111111' };
    const value = { payment: card } as unknown as JsonValue;
    assert.doesNotMatch(redactedJsonText(value), /4111/);
  });
});

describe('redactText', () => {
  it('redacts secret-named pairs inside nested objects, and card numbers, and keeps the rest byte for byte', () => {
    const text = '{"id": "evt_1", "data": {"signature":"abc", "pan": "4111 1111 1111 1111", "n": 4111111111111111}, "name":"Ana"}';
    assert.equal(
      redactText(text),
      '{"id": "evt_1", "data": {"signature":"[redacted]", "pan": "[redacted]", "n": [redacted]}, "name":"Ana"}',
    );
    assert.equal(redactText('x_signature=abc&x_ref_payco=9'), 'x_signature=[redacted]&x_ref_payco=9');
  });
});
