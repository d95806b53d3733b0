import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { FacturadorConfig } from '../../examples/facturador/config.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { startFacturadorHarness } from '../helpers/facturador-harness.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * The connectors take each service's base URL and credentials from the configuration, so the
 * same pipeline runs against the real services: every call carries its own service's token,
 * and a service pointed elsewhere is called there, not at the sandbox.
 */
const SERVICES = ['fr360', 'frapp', 'clientify', 'worldoffice', 'strapi', 'callbell'] as const;

describe('Facturador configuration', () => {
  it("sends each service's own token to each service's own base URL", async () => {
    // WorldOffice points at a port where nothing listens: its stages must fail there.
    const configure = (config: FacturadorConfig): FacturadorConfig => {
      const next = { ...config };
      for (const service of SERVICES) next[service] = { baseUrl: config[service].baseUrl, token: `tok-${service}` };
      next.worldoffice = { baseUrl: 'http://127.0.0.1:1/worldoffice-api', token: 'tok-worldoffice' };
      return next;
    };
    const h = await startFacturadorHarness({ configure });
    try {
      const id = await h.sendConfirmation({ invoiceId: 'INV-ELITE-001', refPayco: '777001', state: '1' });
      await h.waitForStatus(id, ['retrying', 'dead']);
      const customer = await h.checkpoint(id, 'worldoffice_customer');
      assert.equal(customer?.status, 'error');
      assert.equal(customer?.error?.code, 'NETWORK', customer?.error?.message);
      for (const stage of ['crm_upsert', 'strapi_cartera_update', 'strapi_facturacion_creation', 'membership_creation']) {
        assert.equal((await h.checkpoint(id, stage))?.status, 'success', stage);
      }

      const toSandbox = h.received.filter((r) => r.url.startsWith('/sandbox/'));
      assert.equal(toSandbox.filter((r) => r.url.startsWith('/sandbox/worldoffice')).length, 0, 'WorldOffice is not called at the sandbox');
      for (const service of SERVICES.filter((s) => s !== 'worldoffice')) {
        const calls = toSandbox.filter((r) => r.url.startsWith(`/sandbox/${service}/`));
        assert.ok(calls.length > 0, `${service} was called`);
        assert.deepEqual([...new Set(calls.map((r) => r.authorization))], [`Bearer tok-${service}`], service);
      }
    } finally {
      await h.close();
    }
  });
});

describe('Facturador README', () => {
  it('its webpig.config.ts example loads, validates and gives the pipeline its store (the invoice claim)', async () => {
    const readme = readFileSync('examples/facturador/README.md', 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README has a ts example');
    const { dir, remove } = tempDatabaseDir('webpig-facturador-readme-');
    try {
      const root = resolve('.');
      const file = join(dir, 'webpig.config.ts');
      // The example as a user writes it at the root of their project, with the env it reads.
      const source = [
        `import { defineConfig } from '${root}/src/index.js';`,
        `const env = { EPAYCO_CUST_ID: '1234567', EPAYCO_P_KEY: 'readme-p-key' };`,
        example.replaceAll("'./examples/", `'${root}/examples/`).replaceAll('sqlite:./webpig.db', `sqlite:${join(dir, 'webpig.db')}`),
      ].join('\n');
      writeFileSync(file, source);
      const config = await loadConfigFile(file, {});
      const [pipeline, reversals] = config.pipelines;
      assert.equal(pipeline?.name, 'facturador');
      assert.equal(reversals?.name, 'facturador-reversals');
      assert.equal(pipeline?.stages[1]?.name, 'invoice_payment', 'the store was given: the invoice claim runs');
      assert.equal(pipeline?.entity, undefined);
      assert.deepEqual(
        config.flags?.map((f) => f.key),
        ['MEMBERSHIPS_ENABLED', 'WORLDOFFICE_INVOICE_ENABLED', 'WORLDOFFICE_DIAN_ENABLED'],
      );
    } finally {
      remove();
    }
  });
});
