import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import { providerListFor } from '../../src/engine/reconcile-lists.js';

/** `reconcile.<source>` is checked at start, with messages that name the field. */
describe('reconcile config', () => {
  const config = (reconcile: unknown) => ({ sources: [], pipelines: [], reconcile });

  it('accepts every and lookBack as durations, for a provider source', () => {
    const valid = resolveConfig(config({ stripe: { every: '15m', lookBack: '48h', types: ['payment_intent.*'] } }), 'webpig.config.ts');
    assert.deepEqual(valid.reconcile?.stripe, { every: '15m', lookBack: '48h', types: ['payment_intent.*'] });
  });

  it('refuses a malformed duration, naming the field', () => {
    assert.throws(() => resolveConfig(config({ stripe: { every: '15 minutes' } }), 'webpig.config.ts'), {
      message: /reconcile\.stripe\.every: must be a duration like 30s, 15m, 48h or 7d/,
    });
    assert.throws(() => resolveConfig(config({ stripe: { lookBack: '0h' } }), 'webpig.config.ts'), {
      message: /reconcile\.stripe\.lookBack/,
    });
  });

  it('refuses a source that does not exist and an unknown option', () => {
    assert.throws(() => resolveConfig(config({ shop: { every: '15m' } }), 'webpig.config.ts'), {
      message: /reconcile\.shop: no source is named "shop"/,
    });
    assert.throws(() => resolveConfig(config({ stripe: { evry: '15m' } }), 'webpig.config.ts'), { message: /reconcile\.stripe/ });
  });

  it("refuses a Stripe source's lookBack beyond the 30 days Stripe keeps, saying how to fix it; other providers' are theirs", () => {
    const stripeSource = { name: 'shop', kind: 'stripe', secrets: ['whsec_test'] };
    for (const [sources, name] of [
      [[], 'stripe'],
      [[stripeSource], 'shop'],
    ] as const) {
      assert.throws(() => resolveConfig({ sources, pipelines: [], reconcile: { [name]: { lookBack: '45d' } } }, 'webpig.config.ts'), {
        message: new RegExp(
          `reconcile\\.${name}\\.lookBack: "45d" reaches further back than Stripe keeps its events \\(30 days\\), so no run could list it: set lookBack to 30d or less`,
        ),
      });
      const month = resolveConfig({ sources, pipelines: [], reconcile: { [name]: { lookBack: '30d' } } }, 'webpig.config.ts');
      assert.equal(month.reconcile?.[name]?.lookBack, '30d');
    }
    const mercadopago = resolveConfig(config({ mercadopago: { lookBack: '90d' } }), 'webpig.config.ts');
    assert.equal(mercadopago.reconcile?.mercadopago?.lookBack, '90d');
  });

  it('a Stripe source needs its API key, and the message names the variable without any secret', () => {
    assert.throws(() => providerListFor({ source: 'stripe', kind: null, settings: undefined, recordedApiBaseUrl: null, env: {} }), {
      message: /set WEBPIG_STRIPE_API_KEY, or reconcile\.stripe\.apiKey/,
    });
    const list = providerListFor({
      source: 'stripe',
      kind: null,
      settings: undefined,
      recordedApiBaseUrl: null,
      env: { WEBPIG_STRIPE_API_KEY: 'sk_test_secret_value' },
    });
    assert.equal(list.provider, 'Stripe');
  });
});
