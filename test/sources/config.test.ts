import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { sourceWarnings } from '../../src/sources/config.js';
import { sourcesFromEnv } from '../../src/sources/env.js';

describe('source configuration', () => {
  it('applies the documented defaults', () => {
    const [stripe, epayco, mp] = parseSourceConfigs([
      { name: 'stripe', kind: 'stripe', secrets: ['whsec_1'] },
      { name: 'epayco', kind: 'epayco', customerId: '1', pKeys: ['k'] },
      { name: 'mp', kind: 'mercadopago', secrets: ['s'] },
    ]);
    assert.equal(stripe?.kind === 'stripe' && stripe.toleranceSeconds, 300);
    assert.equal(epayco?.kind === 'epayco' && epayco.acceptGet, true);
    // ePayco's signature does not cover the state: validation against ePayco is on unless turned off.
    assert.deepEqual(epayco?.kind === 'epayco' && epayco.validation, { baseUrl: 'https://secure.epayco.co', timeoutMs: 5000 });
    assert.equal(mp?.kind === 'mercadopago' && mp.dataIdCase, 'either');
  });

  it('names the source and field at fault', () => {
    assert.throws(
      () => parseSourceConfigs([{ name: 'stripe', kind: 'stripe', secrets: [] }]),
      (err: unknown) =>
        err instanceof ConfigError && /sources\.0\.secrets: at least one secret is needed \(source "stripe"\)/.test(err.message),
    );
    assert.throws(
      () => parseSourceConfigs([{ name: 'Bad Name', kind: 'stripe', secrets: ['x'] }]),
      (err: unknown) => err instanceof ConfigError && /name/.test(err.message),
    );
    assert.throws(
      () => parseSourceConfigs([{ name: 'mp', kind: 'mercadopago' }]),
      (err: unknown) =>
        err instanceof ConfigError &&
        /sources\.0\.secrets: a MercadoPago source needs a secret unless verifyByFetching is set/.test(err.message),
    );
    assert.throws(
      () =>
        parseSourceConfigs([
          { name: 'a', kind: 'stripe', secrets: ['x'] },
          { name: 'a', kind: 'stripe', secrets: ['y'] },
        ]),
      (err: unknown) => err instanceof ConfigError && /sources\.1\.name: duplicate source "a": the name is used twice/.test(err.message),
    );
  });

  it('sourcesFromEnv builds epayco, mercadopago and stripe from the documented variables', () => {
    const sources = parseSourceConfigs(
      sourcesFromEnv({
        WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_new, whsec_old',
        WEBPIG_MERCADOPAGO_WEBHOOK_SECRET: 'mp-secret',
        WEBPIG_EPAYCO_CUSTOMER_ID: '12345',
        WEBPIG_EPAYCO_P_KEY: 'pkey',
      }),
    );
    assert.deepEqual(
      sources.map((s) => s.name),
      ['epayco', 'mercadopago', 'stripe'],
    );
    const stripe = sources.find((s) => s.kind === 'stripe');
    assert.deepEqual(stripe?.kind === 'stripe' && stripe.secrets, ['whsec_new', 'whsec_old']);
  });

  it('half of ePayco set through the environment is an error naming both variables, not a silent 404', () => {
    assert.throws(
      () => sourcesFromEnv({ WEBPIG_EPAYCO_P_KEY: 'only-the-key' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.code === 'CONFIG_INVALID' &&
        err.message.startsWith('WEBPIG_EPAYCO_P_KEY is set but WEBPIG_EPAYCO_CUSTOMER_ID is not: ePayco needs both') &&
        !err.message.includes('only-the-key'),
    );
    assert.throws(
      () => sourcesFromEnv({ WEBPIG_EPAYCO_CUSTOMER_ID: '12345', WEBPIG_EPAYCO_P_KEY: ' , ' }),
      /WEBPIG_EPAYCO_CUSTOMER_ID is set but WEBPIG_EPAYCO_P_KEY is not: ePayco needs both/,
    );
  });

  it('WEBPIG_EPAYCO_VALIDATION turns ePayco validation off (with a start-up warning) or points it elsewhere', () => {
    const base = { WEBPIG_EPAYCO_CUSTOMER_ID: '12345', WEBPIG_EPAYCO_P_KEY: 'pkey' };
    const epaycoOf = (env: Record<string, string>) => {
      const [source] = parseSourceConfigs(sourcesFromEnv({ ...base, ...env }));
      assert.equal(source?.kind, 'epayco');
      return source;
    };
    const off = epaycoOf({ WEBPIG_EPAYCO_VALIDATION: 'off' });
    assert.equal(off?.kind === 'epayco' && off.validation, false);
    const [warning, ...others] = sourceWarnings(off ? [off] : []);
    assert.match(warning ?? '', /source "epayco": ePayco validation is off/);
    assert.doesNotMatch(warning ?? '', /pkey/, 'no secret in the warning');
    assert.equal(others.length, 0);
    const sandbox = epaycoOf({ WEBPIG_EPAYCO_VALIDATION: 'http://127.0.0.1:3000/sandbox/epayco' });
    assert.deepEqual(sandbox?.kind === 'epayco' && sandbox.validation, {
      baseUrl: 'http://127.0.0.1:3000/sandbox/epayco',
      timeoutMs: 5000,
    });
    for (const on of [{}, { WEBPIG_EPAYCO_VALIDATION: 'on' }] as Array<Record<string, string>>) {
      const source = epaycoOf(on);
      assert.deepEqual(source?.kind === 'epayco' && source.validation, { baseUrl: 'https://secure.epayco.co', timeoutMs: 5000 });
      assert.deepEqual(sourceWarnings(source ? [source] : []), []);
    }
    assert.throws(
      () => parseSourceConfigs(sourcesFromEnv({ ...base, WEBPIG_EPAYCO_VALIDATION: 'sometimes' })),
      (err: unknown) =>
        err instanceof ConfigError &&
        /sources\.0\.validation\.baseUrl: must be an http:\/\/ or https:\/\/ URL.*\(source "epayco"\)/.test(err.message),
    );
  });

  it('WEBPIG_EPAYCO_TEST_MODE=on counts test transactions as payments, with a start-up warning; off by default', () => {
    const base = { WEBPIG_EPAYCO_CUSTOMER_ID: '12345', WEBPIG_EPAYCO_P_KEY: 'pkey' };
    const [production] = parseSourceConfigs(sourcesFromEnv(base));
    assert.equal(production?.kind === 'epayco' && production.testMode, false);
    const [testing] = parseSourceConfigs(sourcesFromEnv({ ...base, WEBPIG_EPAYCO_TEST_MODE: 'on' }));
    assert.equal(testing?.kind === 'epayco' && testing.testMode, true);
    const [warning, ...others] = sourceWarnings(testing ? [testing] : []);
    assert.match(warning ?? '', /source "epayco": ePayco test mode is on/);
    assert.equal(others.length, 0);
    assert.throws(
      () => sourcesFromEnv({ ...base, WEBPIG_EPAYCO_TEST_MODE: 'yes please' }),
      (err: unknown) => err instanceof ConfigError && /WEBPIG_EPAYCO_TEST_MODE must be on or off/.test(err.message),
    );
  });

  it('WEBPIG_STRIPE_TEST_MODE=on counts livemode: false events as payments, with a start-up warning; off by default', () => {
    const base = { WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_live,whsec_test' };
    const [production] = parseSourceConfigs(sourcesFromEnv(base));
    assert.equal(production?.kind === 'stripe' && production.testMode, false);
    assert.deepEqual(sourceWarnings(production ? [production] : []), []);
    const [testing] = parseSourceConfigs(sourcesFromEnv({ ...base, WEBPIG_STRIPE_TEST_MODE: 'on' }));
    assert.equal(testing?.kind === 'stripe' && testing.testMode, true);
    const [warning, ...others] = sourceWarnings(testing ? [testing] : []);
    assert.match(warning ?? '', /source "stripe": Stripe test mode is on/);
    assert.equal(others.length, 0);
    assert.throws(
      () => sourcesFromEnv({ ...base, WEBPIG_STRIPE_TEST_MODE: 'true' }),
      (err: unknown) => err instanceof ConfigError && /WEBPIG_STRIPE_TEST_MODE must be on or off, not "true"/.test(err.message),
    );
  });
});
