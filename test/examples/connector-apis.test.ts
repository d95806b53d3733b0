import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import Stripe from 'stripe';

/**
 * Issue 14 item 8: each example's README says which real API (and version) its connectors
 * follow. These checks keep those lines true to the code they describe.
 */
const read = (path: string): string => readFileSync(path, 'utf8');

describe("the examples' READMEs name the real API each connector follows", () => {
  it('the Facturador: one line per connector, Strapi v5 with the doc pages its connector cites', () => {
    const readme = read('examples/facturador/README.md');
    const section = readme.slice(readme.indexOf('## Which real API each connector follows'));
    assert.ok(section.length > 100, 'the README has the section');
    for (const file of readdirSync('examples/facturador/connectors').filter((f) => f !== 'http.ts')) {
      assert.ok(section.includes(`(\`connectors/${file}\`)`), `the README names connectors/${file}`);
    }
    assert.match(section, /\*\*Strapi v5\*\* REST API/);
    const connector = read('examples/facturador/connectors/strapi.ts');
    for (const url of [
      'https://docs.strapi.io/cms/api/rest',
      'https://docs.strapi.io/cms/api/rest/filters',
      'https://docs.strapi.io/cms/migration/v4-to-v5/breaking-changes/use-document-id',
    ]) {
      assert.ok(connector.includes(url) && section.includes(url), `${url} is cited by the connector and the README`);
    }
    assert.ok(connector.includes('filters[${field}][$eq]='), 'the connector builds the filter the README shows');
    assert.match(
      read('examples/facturador/config.ts'),
      /strapi: at\('strapi\/api'\)/,
      'the sandbox base URL carries the REST prefix, as the README says',
    );
  });

  it('Stripe orders: the API version the README names is the one the stripe package sends', () => {
    const readme = read('examples/stripe-orders/README.md');
    assert.ok(readme.includes(`**Stripe API version ${Stripe.API_VERSION}**`), `README names ${Stripe.API_VERSION}`);
    assert.ok(readme.includes(`\`stripe\` package ${Stripe.PACKAGE_VERSION}`), `README names stripe ${Stripe.PACKAGE_VERSION}`);
  });

  it('MercadoPago payments: the GoHighLevel version the README names is the header the client sends', () => {
    const header = /version: '([\d-]+)'/.exec(read('examples/mercadopago-payments/gohighlevel-client.ts'))?.[1];
    assert.ok(header, 'the client sends a Version header');
    assert.ok(read('examples/mercadopago-payments/README.md').includes(`LeadConnector API v2, \`Version: ${header}\``));
  });

  it('subscriptions and payments: MercadoPago REST API v1, the paths the clients call', () => {
    assert.match(read('examples/subscriptions/README.md'), /\*\*MercadoPago's REST API v1\*\*/);
    assert.match(read('examples/mercadopago-payments/README.md'), /\*\*MercadoPago's REST API v1\*\*/);
    const client = read('examples/subscriptions/mercadopago-client.ts');
    for (const path of ['preapproval/', 'authorized_payments/', 'v1/payments/']) assert.ok(client.includes(path), path);
  });
});
