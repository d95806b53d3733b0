import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH, parseExactJsonObject, parseFormBytes } from '../../src/sources/body-decoding.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { type CustomSourceConfig, type MercadopagoSourceConfig, type StripeSourceConfig } from '../../src/sources/config.js';
import { createCustomAdapter } from '../../src/sources/custom.js';
import { createMercadopagoAdapter } from '../../src/sources/mercadopago.js';
import { createStripeAdapter } from '../../src/sources/stripe.js';
import { rejectsWith } from '../helpers/source-errors.js';
import { signCustom, signMercadopago, signStripe, stripeEvent, TEST_SECRETS, toIncoming } from '../helpers/signing.js';

const now = new Date();
const [customConfig, stripeConfig, mpConfig] = parseSourceConfigs([
  {
    name: 'shop',
    kind: 'custom',
    secrets: [TEST_SECRETS.custom],
    paths: { eventId: 'id', entityKey: 'order.id' },
    summaryPaths: { amount: 'amount', references: { order: 'order.id' } },
  },
  { name: 'stripe', kind: 'stripe', secrets: [TEST_SECRETS.stripe] },
  { name: 'mercadopago', kind: 'mercadopago', secrets: [TEST_SECRETS.mercadopago] },
]);
const custom = createCustomAdapter(customConfig as CustomSourceConfig);
const stripe = createStripeAdapter(stripeConfig as StripeSourceConfig);
const mercadopago = createMercadopagoAdapter(mpConfig as MercadopagoSourceConfig);
const signedCustom = (body: string) => toIncoming(signCustom({ secret: TEST_SECRETS.custom, body }));

/** `{"a":{"a":…{"a":1}…}}` with `levels` objects. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{"a":1}${'}'.repeat(levels - 1)}`;
}

describe('ids beyond 2^53', () => {
  it('two custom ids that differ only past 2^53 are two events, each with its exact text', async () => {
    const first = await custom.verify(signedCustom('{"id":9007199254740993,"order":{"id":12345678901234567891},"amount":1.5}'), now);
    const second = await custom.verify(signedCustom('{"id":9007199254740992,"order":{"id":12345678901234567890},"amount":1.5}'), now);
    assert.equal(first.providerEventId, '9007199254740993');
    assert.equal(second.providerEventId, '9007199254740992');
    assert.equal(first.entityKey, '12345678901234567891');
    assert.equal(second.entityKey, '12345678901234567890');
    assert.equal(first.summary.references?.order, '12345678901234567891');
    assert.equal(first.summary.amount, 1.5, 'decimals and small numbers stay numbers');
    assert.equal((first.payload as Record<string, unknown>).id, '9007199254740993', 'the payload keeps the exact text');
  });

  it('keeps safe integers, decimals and strings as JSON.parse reads them; unsafe integers (also negative, also in arrays) as text', () => {
    const parsed = parseExactJsonObject(
      Buffer.from('{"a":9007199254740991,"b":-9007199254740993,"c":1.5e3,"d":"9007199254740993","e":[123456789012345678]}'),
    );
    assert.deepEqual(parsed, { a: 9007199254740991, b: '-9007199254740993', c: 1500, d: '9007199254740993', e: ['123456789012345678'] });
  });
});

describe('deeply nested JSON', () => {
  it(`is refused with 400 past ${MAX_JSON_DEPTH} levels, signed or not, by every JSON source`, async () => {
    const deep = nested(20_000);
    await rejectsWith(custom.verify(signedCustom(deep), now), 'MALFORMED_BODY', 400);
    await rejectsWith(stripe.verify(toIncoming(signStripe({ payload: deep, secret: TEST_SECRETS.stripe })), now), 'MALFORMED_BODY', 400);
    const mp = signMercadopago({
      secret: TEST_SECRETS.mercadopago,
      body: JSON.parse(nested(60)) as Record<string, unknown>,
      dataId: '1',
      requestId: 'r',
      timestamp: now,
    });
    await rejectsWith(mercadopago.verify(toIncoming({ ...mp, body: deep }), now), 'MALFORMED_BODY', 400);
    const error = await rejectsWith(custom.verify(signedCustom(`{"id":"x","deep":${nested(MAX_JSON_DEPTH)}}`), now), 'MALFORMED_BODY', 400);
    assert.match(error.message, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
  });

  it(`accepts ${MAX_JSON_DEPTH} levels, brackets inside strings, and a Stripe event`, async () => {
    const ok = await custom.verify(signedCustom(`{"id":"x","deep":${nested(MAX_JSON_DEPTH - 1)},"s":"${'{['.repeat(200)}\\"{"}`), now);
    assert.equal(ok.providerEventId, 'x');
    // A string ending in an escaped backslash closes at its quote: the nesting after it still counts.
    const backslash = '"a":"x\\\\"';
    assert.deepEqual(parseExactJsonObject(Buffer.from(`{${backslash},"b":[[1]]}`)), { a: 'x\\', b: [[1]] });
    assert.ok(parseExactJsonObject(Buffer.from(`{${backslash},"deep":${nested(MAX_JSON_DEPTH - 1)}}`)));
    assert.throws(() => parseExactJsonObject(Buffer.from(`{${backslash},"deep":${nested(MAX_JSON_DEPTH)}}`)), /deeper than/);
    await stripe.verify(toIncoming(signStripe({ payload: stripeEvent({ id: 'evt_1' }), secret: TEST_SECRETS.stripe })), now);
  });
});

describe('form bodies', () => {
  it('decodes by the declared charset, falls back to windows-1252 for undeclared non-UTF-8, and refuses what a declared charset cannot read', () => {
    const latin1 = Buffer.concat([Buffer.from('name=Jos'), Buffer.from([0xe9]), Buffer.from('&city=Bogot%E1')]);
    assert.deepEqual(parseFormBytes(latin1, 'iso-8859-1', 'the body'), { name: 'José', city: 'Bogotá' });
    assert.deepEqual(parseFormBytes(latin1, undefined, 'the body'), { name: 'José', city: 'Bogotá' });
    assert.deepEqual(parseFormBytes(Buffer.from('name=Jos%C3%A9+P%C3%A9rez'), undefined, 'the body'), { name: 'José Pérez' });
    assert.throws(() => parseFormBytes(latin1, 'utf-8', 'the body'), /not valid utf-8/);
    assert.throws(() => parseFormBytes(Buffer.from('a=1'), 'shift_jis', 'the body'), /charset shift_jis is not supported/);
    assert.throws(() => parseFormBytes(Buffer.from('a=1&a=2'), undefined, 'the body'), /field a appears more than once/);
  });
});
