/**
 * The config is parsed once, at the top (`resolveConfig`), with every check: the areas (webhook
 * routes, API, sign-in, dashboard) receive their resolved slice and check nothing again. So one
 * parse reports the problems of every area together, and `buildServer` refuses what the
 * plugins used to find one at a time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { buildServer } from '../../src/service/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const stage = { name: 'invoice', run: async () => undefined };

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'a ConfigError');
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.message;
  }
  assert.fail('the config was accepted');
}

describe('the one parse', () => {
  it('lists the problems of every area at once, each with its field and how to fix it', () => {
    const message = messageOf(() =>
      resolveConfig(
        {
          sources: [{ name: 'shop', kind: 'mercadopago' }],
          pipelines: [{ name: 'orders', match: () => true, stages: [{ ...stage, flag: 'DIAN_ON' }] }],
          flags: [{ key: 'OTHER', description: 'x', allowed: ['finanse'] }],
          auth: { roles: { finance: { members: [] } } },
          dashboard: { timeZone: 'America/Bogta' },
        },
        'webpig.config.ts',
      ),
    );
    assert.match(message, /^invalid configuration in webpig\.config\.ts: /);
    assert.match(message, /sources\.0\.secrets: a MercadoPago source needs a secret unless verifyByFetching is set \(source "shop"\)/);
    assert.match(message, /auth\.roles\.finance\.scopes: a role other than admin, operator or viewer must list its scopes/);
    assert.match(message, /dashboard\.timeZone: "America\/Bogta" is not an IANA time zone/);
  });

  it('checks the fields that compare areas in the same parse: stage flags, flag lists', () => {
    const message = messageOf(() =>
      resolveConfig(
        {
          sources: [],
          pipelines: [{ name: 'orders', match: () => true, stages: [{ ...stage, flag: 'DIAN_ON' }] }],
          flags: [{ key: 'OTHER', description: 'x', allowed: ['finanse'] }],
        },
        'webpig.config.ts',
      ),
    );
    assert.match(
      message,
      /pipelines\.0\.stages\.0\.flag: pipeline "orders" stage "invoice" uses flag "DIAN_ON", which is not declared in flags; add \{ key: 'DIAN_ON'/,
    );
    assert.match(message, /flags\.0\.allowed: "finanse" is not a role; .*\(flag "OTHER"\)/);
  });

  it('a pipeline of the wrong shape is named, and the checks that compare fields do not trip over it', () => {
    const message = messageOf(() =>
      resolveConfig({ sources: [], pipelines: [{ name: 'orders', match: () => true }], flags: [] }, 'webpig.config.ts'),
    );
    assert.match(message, /pipelines\.0\.stages: /);
  });

  it('returns the resolved slices the areas take: sources with defaults, auth with its roles', () => {
    const config = resolveConfig(
      {
        sources: [{ name: 'stripe', kind: 'stripe', secrets: ['whsec_x'] }],
        pipelines: [],
        auth: { roles: { admin: { members: ['Ana@Example.com'] } } },
      },
      'webpig.config.ts',
    );
    assert.deepEqual(config.sources[0], { name: 'stripe', kind: 'stripe', secrets: ['whsec_x'], toleranceSeconds: 300, testMode: false });
    assert.deepEqual(config.auth.roles.admin, { members: ['ana@example.com'], scopes: ['admin'] });
    assert.deepEqual(Object.keys(config.auth.roles).sort(), ['admin', 'operator', 'viewer']);
    assert.equal(config.auth.oidc, null);
  });

  it('names a source the WEBPIG_* variables added as coming from the environment, not the file', () => {
    const env = { WEBPIG_EPAYCO_CUSTOMER_ID: '12345', WEBPIG_EPAYCO_P_KEY: 'pkey', WEBPIG_EPAYCO_VALIDATION: 'sometimes' };
    const message = messageOf(() =>
      resolveConfig({ sources: [], pipelines: [] }, 'webpig.config.ts', { env, sources: 'file-and-environment' }),
    );
    assert.match(message, /sources\.0\.validation\.baseUrl: .*\(source "epayco", from the WEBPIG_\* environment variables\)/);
    assert.doesNotMatch(message, /pkey/, 'no secret in the message');
    const fromFile = resolveConfig({ sources: [], pipelines: [] }, 'webpig.config.ts', { env, sources: 'file' });
    assert.deepEqual(fromFile.sources, [], "without 'file-and-environment' the environment adds nothing");
  });

  it("a config that leaves `sources` out takes the WEBPIG_* variables' sources (README: they come from the environment)", () => {
    const env = { WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_x', WEBPIG_MERCADOPAGO_WEBHOOK_SECRET: 'mp-secret' };
    const config = resolveConfig({ pipelines: [] }, 'webpig.config.ts', { env, sources: 'file-and-environment' });
    assert.deepEqual(config.sources.map((source) => source.name).sort(), ['mercadopago', 'stripe']);
    assert.deepEqual(resolveConfig({ pipelines: [] }, 'webpig.config.ts', { env, sources: 'file' }).sources, []);
    assert.deepEqual(resolveConfig({ pipelines: [] }, 'webpig.config.ts', { sources: 'none' }).sources, []);
  });

  it('without sources (commands that only read data), a reconcile entry for a source of the file is not refused', () => {
    const candidate = {
      sources: [{ name: 'stripe-live', kind: 'stripe', secrets: [undefined] }],
      pipelines: [],
      reconcile: { 'stripe-live': { every: '15m' } },
    };
    const reading = resolveConfig(candidate, 'webpig.config.ts', { sources: 'none' });
    assert.deepEqual(reading.sources, []);
    assert.deepEqual(reading.reconcile, { 'stripe-live': { every: '15m' } });
    assert.match(
      messageOf(() => resolveConfig(candidate, 'webpig.config.ts')),
      /sources\.0\.secrets\.0: is undefined/,
    );
  });
});

describe('buildServer (the public API) parses the config it is given, once', () => {
  it('refuses a stage flag that is not declared, before anything listens', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      const config = { sources: [], pipelines: [{ name: 'orders', match: () => true, stages: [{ ...stage, flag: 'DIAN_ON' }] }] };
      await assert.rejects(buildServer({ store, config, logger: false }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /invalid configuration in the config given to buildServer: pipelines\.0\.stages\.0\.flag: /);
        return true;
      });
    } finally {
      await store.close();
    }
  });
});
