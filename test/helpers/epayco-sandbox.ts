/**
 * The sandbox's ePayco on its own free port, for tests whose ePayco source validates every
 * confirmation (the default): point the source at `validationUrl`, and make each payment
 * with `pay(fields)` before sending its signed confirmation — ePayco knows a payment before
 * it confirms it. A forgery test sends a confirmation whose claims ePayco never made.
 *
 *   const epayco = await startEpaycoSandbox();
 *   sources: [{ kind: 'epayco', …, validation: { baseUrl: epayco.validationUrl } }]
 *   await epayco.pay(epaycoFields({ x_ref_payco: '1', x_cod_transaction_state: '3' }));
 */
import Fastify from 'fastify';
import { sandboxPlugin } from '../../src/sandbox/plugin.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { type EpaycoSourceConfig } from '../../src/sources/config.js';
import { TEST_SECRETS } from './signing.js';

/** The tests' ePayco source (TEST_SECRETS, current and previous P_KEY), with `extra` options. */
export function epaycoConfig(extra: Record<string, unknown> = {}): EpaycoSourceConfig {
  return parseSourceConfigs([
    {
      name: 'epayco',
      kind: 'epayco',
      customerId: TEST_SECRETS.epaycoCustomerId,
      pKeys: [TEST_SECRETS.epaycoPKey, TEST_SECRETS.epaycoPKeyOld],
      ...extra,
    },
  ])[0] as EpaycoSourceConfig;
}

export interface EpaycoSandbox {
  /** `validation.baseUrl` for an ePayco source: `<sandbox>/sandbox/epayco`. */
  validationUrl: string;
  store: SandboxStore;
  /** Makes the payment (or moves it to the state these fields say). */
  pay(fields: Record<string, string>): Promise<void>;
  /** The same, written straight into the sandbox's store (for code that cannot await). */
  payNow(fields: Record<string, string>): void;
  /** The next `count` reference checks fail this way (an HTTP status, or never answering). */
  fail(mode: 'error' | 'timeout', status?: number, count?: number): void;
  /** How many times ePayco was asked about a reference. */
  validations(): number;
  close(): Promise<void>;
}

export async function startEpaycoSandbox(): Promise<EpaycoSandbox> {
  const store = SandboxStore.open(':memory:');
  const app = Fastify({ logger: false });
  let validations = 0;
  app.addHook('onRequest', async (request) => {
    if (request.url.includes('/validation/v1/reference/')) validations++;
  });
  await app.register(sandboxPlugin, { store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on TCP');
  const base = `http://127.0.0.1:${address.port}/sandbox`;
  return {
    validationUrl: `${base}/epayco`,
    store,
    async pay(fields) {
      const res = await fetch(`${base}/epayco/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fields),
      });
      if (!res.ok) throw new Error(`the sandbox's ePayco refused the payment: ${res.status} ${await res.text()}`);
    },
    payNow(fields) {
      const [known] = store.findBy('epayco', 'transactions', 'x_ref_payco', fields.x_ref_payco ?? '');
      if (known) store.update('epayco', 'transactions', known.id, fields);
      else store.insert('epayco', 'transactions', fields);
    },
    fail(mode, status, count = 1) {
      store.addFault({ service: 'epayco', operation: 'validate_reference', mode, count, ...(status ? { status } : {}) });
    },
    validations: () => validations,
    async close() {
      await app.close();
      store.close();
    },
  };
}
