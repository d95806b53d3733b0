import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import type { JsonValue } from '../../src/core/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { epaycoFields, mercadopagoBody, sendDelivery, signEpayco, signMercadopago, signStripe, stripeEvent } from '../helpers/signing.js';

/**
 * Issue 17.8: the demo (server, worker, sandbox, sample traffic) at trace level, plus ePayco
 * GET and POST confirmations, a MercadoPago and a Stripe delivery, forged and malformed ones,
 * all carrying personal data. Afterwards every secret, signature and personal value found in
 * the stored deliveries is looked for in everything the process wrote: none may appear.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

const SECRETS = {
  WEBPIG_EPAYCO_CUSTOMER_ID: '5550001',
  WEBPIG_EPAYCO_P_KEY: 'pkey-logtest-5f1c9e2b7a',
  WEBPIG_MERCADOPAGO_WEBHOOK_SECRET: 'mp-logtest-secret-83b1d0',
  WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_logtest_secret_91ac44',
};

/** Personal fields of the deliveries this test sends itself. */
const PERSON = {
  x_customer_name: 'Zuleima',
  x_customer_lastname: 'Quinterologtest',
  x_customer_document: '8877665544',
  x_customer_email: 'zuleima.logtest@example.co',
  x_customer_movil: '3157778899',
};

/** Keys whose string values are personal data or signatures in the providers' payloads. */
const SENSITIVE_KEY = /email|name|document|movil|phone|signature|_ip$/i;

function sensitiveValues(value: JsonValue, key = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) sensitiveValues(item, key, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) sensitiveValues(v, k, out);
  else if (typeof value === 'string' && SENSITIVE_KEY.test(key) && value.length >= 5) out.add(value);
  return out;
}

describe('logs carry no secret and no personal data (demo at trace level)', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-logs-'));
  after(() => rmSync(cwd, { recursive: true, force: true }));

  test('every secret, signature and personal value of every delivery is absent from the output', async () => {
    // Only what this test sets: never the caller's WEBPIG_* variables.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TZ: 'UTC', WEBPIG_LOG_LEVEL: 'trace', ...SECRETS };
    const child = spawn(process.execPath, ['--import', TSX, MAIN, 'demo', '--port', '0', '--db', 'demo.db'], { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no demo URL in 60 s:\n${output}`)), 60_000);
        const check = (): void => {
          const match = /Web Pig dashboard:\s+(http:\/\/\S+?)\/?\s[\s\S]*Ctrl-C stops\./.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', check);
        void exited.then(() => reject(new Error(`demo exited early:\n${output}`)));
      });

      const epayco = { customerId: SECRETS.WEBPIG_EPAYCO_CUSTOMER_ID, pKey: SECRETS.WEBPIG_EPAYCO_P_KEY };
      const fields = epaycoFields({
        ...PERSON,
        x_cust_id_cliente: SECRETS.WEBPIG_EPAYCO_CUSTOMER_ID,
        x_ref_payco: '91919191',
        x_transaction_id: '9191919101',
      });
      const get = signEpayco({ ...epayco, fields, method: 'GET' });
      const post = signEpayco({ ...epayco, fields: { ...fields, x_ref_payco: '92929292', x_transaction_id: '9292929201' } });
      const forged = signEpayco({ ...epayco, pKey: 'not-the-key', fields: { ...fields, x_ref_payco: '93939393' }, method: 'GET' });
      const mercadopago = signMercadopago({
        secret: SECRETS.WEBPIG_MERCADOPAGO_WEBHOOK_SECRET,
        body: { ...mercadopagoBody({ dataId: '770077007' }), payer: { email: PERSON.x_customer_email } },
        dataId: '770077007',
      });
      const stripe = signStripe({
        secret: SECRETS.WEBPIG_STRIPE_WEBHOOK_SECRET,
        payload: stripeEvent({
          object: {
            id: 'pi_logtest_1',
            object: 'payment_intent',
            amount: 990000,
            currency: 'cop',
            receipt_email: PERSON.x_customer_email,
            shipping: { name: `${PERSON.x_customer_name} ${PERSON.x_customer_lastname}`, phone: PERSON.x_customer_movil },
          },
        }),
      });
      // ePayco validates every confirmation: the payments exist at the demo's sandbox ePayco first.
      for (const payment of [fields, { ...fields, x_ref_payco: '92929292', x_transaction_id: '9292929201' }]) {
        const made = await fetch(`${url}/sandbox/epayco/transactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payment),
        });
        assert.ok(made.ok, `the sandbox's ePayco answered ${made.status}`);
      }
      const replies = [
        await sendDelivery(url, 'epayco', get),
        await sendDelivery(url, 'epayco', post),
        await sendDelivery(url, 'mercadopago', mercadopago),
        await sendDelivery(url, 'stripe', stripe),
      ];
      for (const reply of replies) assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal((await sendDelivery(url, 'epayco', forged)).status, 401);
      // A malformed body that quotes the person, and an API query naming them.
      const malformed = await fetch(`${url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body: `{"receipt_email":"${PERSON.x_customer_email}", "document": ${PERSON.x_customer_document}`,
      });
      assert.equal(malformed.status, 401);
      assert.equal((await fetch(`${url}/api/events?text=${encodeURIComponent(PERSON.x_customer_email)}`)).status, 401);
      await fetch(`${url}/api/events/1/retry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"reason": "${PERSON.x_customer_email}`,
      });

      // Let the sample traffic and the worker run: deliveries of every provider, stages, faults.
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    } finally {
      child.kill('SIGINT');
      await exited;
    }

    const store = SqliteStore.open(`sqlite:${path.join(cwd, 'demo.db')}`);
    const needles = new Set<string>([...Object.values(SECRETS).filter((s) => s.length >= 7), ...Object.values(PERSON)]);
    const sources = new Set<string>();
    try {
      const events = await store.listEvents({}, { limit: 500 });
      for (const event of events.items) {
        sources.add(event.source);
        sensitiveValues(event.payload, '', needles);
        for (const value of [
          event.summary.customer?.email,
          event.summary.customer?.documentId,
          event.summary.customer?.phone,
          event.summary.customer?.name,
        ]) {
          if (value && value.length >= 5) needles.add(value);
        }
      }
    } finally {
      await store.close();
    }
    for (const provider of ['epayco', 'mercadopago', 'stripe']) assert.ok(sources.has(provider), `deliveries of ${provider} were stored`);
    assert.ok(needles.size > 30, `only ${needles.size} values to look for`);
    assert.ok(output.split('\n').length > 200, 'the demo logged at trace level');

    const found = [...needles].filter((needle) => output.includes(needle));
    assert.deepEqual(
      found,
      [],
      `found in the logs:\n${found
        .map(
          (n) =>
            `  ${n}: ${output
              .split('\n')
              .find((l) => l.includes(n))
              ?.slice(0, 300)}`,
        )
        .join('\n')}`,
    );
  });
});
