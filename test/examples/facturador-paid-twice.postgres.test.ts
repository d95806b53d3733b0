import { describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { secondWorker, startFacturadorHarness } from '../helpers/facturador-harness.js';
import { assertOncePerInvoice, payEveryInvoiceTwiceAtOnce } from '../helpers/facturador-paid-twice.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';

/**
 * The "paid twice" race on PostgreSQL with two workers (concurrency 3 each) on one database:
 * 20 invoices, each paid by two ePayco transactions at once → 20 invoices, 20 Ventas, 20
 * memberships and 20 "paid twice" alerts. With the entity key per x_ref_payco the two payments
 * of an invoice are claimed by different workers at the same moment: the invoice claim
 * (compare-and-set in the store) alone decides.
 */
const schemas = withTestSchema();

describe('Facturador paid twice on PostgreSQL, two workers', { skip: await postgresSkip() }, () => {
  for (const entityKey of ['invoice', 'reference'] as const) {
    it(`entity key per ${entityKey === 'invoice' ? 'invoice' : 'x_ref_payco'}: once per invoice, one alert per invoice`, async () => {
      const { url } = await schemas.create();
      const h = await startFacturadorHarness({ store: await PostgresStore.open(url), concurrency: 3, entityKey });
      const second = secondWorker(h);
      second.start();
      try {
        await payEveryInvoiceTwiceAtOnce(h);
        await assertOncePerInvoice(h);
      } finally {
        await second.stop({ abort: true });
        await h.close();
      }
    });
  }
});
