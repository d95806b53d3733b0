import type { ColumnConfig, FlagConfig } from '../../src/config/types.js';
import { definePipeline, type PipelineDefinition } from '../../src/core/pipeline.js';
import type { ErrorInfo, EventRecord, EventSummary, IgnoreReason, SkipReason } from '../../src/core/types.js';
import type { SourceConfig } from '../../src/sources/config.js';
import type { StageOutcome, Store } from '../../src/store/store.js';
import type { DashboardServerOptions } from '../helpers/browser.js';
import { TEST_SECRETS } from '../helpers/signing.js';
import { AUTH } from './fixtures.js';

/**
 * Two pipelines as in the demo: the Facturador (ePayco), whose first stage `fr360_query` has
 * no column, and Stripe orders with columns of its own. Events are written through the
 * store's calls as a worker would leave them (no worker runs in these tests).
 */

export const OP_COLUMNS: ColumnConfig[] = [
  { key: 'crm', label: 'CRM' },
  { key: 'factura', label: 'Factura' },
  { key: 'dian', label: 'DIAN' },
  { key: 'pedido', label: 'Pedido' },
  { key: 'inventario', label: 'Inventario' },
];

/** What the DIAN flag does, in both languages: the flags view shows its page's. */
export const DIAN_FLAG_ABOUT = { es: 'Emitir facturas a la DIAN', en: 'Send invoices to the DIAN' };

export const OP_FLAGS: FlagConfig[] = [
  { key: 'WORLDOFFICE_DIAN_ENABLED', description: DIAN_FLAG_ABOUT, default: true, allowed: ['operator'] },
];

/** The stage the flag WORLDOFFICE_DIAN_ENABLED turns off: the flags view names the flag by it. */
export const DIAN_LABEL = { es: 'Emisión de la factura a la DIAN', en: 'DIAN e-invoice' };

export const FR360_LABEL = { es: 'Consulta de la factura en FR360', en: 'FR360 invoice look-up' };

const noEffect = async () => ({ ok: true });

export const OP_PIPELINES: PipelineDefinition[] = [
  definePipeline({
    name: 'facturador',
    match: (event) => event.source === 'epayco',
    stages: [
      { name: 'fr360_query', label: FR360_LABEL, run: noEffect },
      { name: 'crm_upsert', column: 'crm', label: 'CRM', run: noEffect },
      { name: 'worldoffice_invoice', column: 'factura', label: { es: 'Factura WorldOffice', en: 'WorldOffice invoice' }, run: noEffect },
      {
        name: 'worldoffice_dian_emission',
        column: 'dian',
        flag: 'WORLDOFFICE_DIAN_ENABLED',
        label: DIAN_LABEL,
        run: noEffect,
      },
    ],
  }),
  definePipeline({
    name: 'stripe_orders',
    label: { es: 'Pedidos de la tienda (Stripe)', en: 'Shop orders (Stripe)' },
    match: (event) => event.source === 'stripe',
    stages: [
      { name: 'order_record', column: 'pedido', label: { es: 'Registro del pedido', en: 'Order record' }, run: noEffect },
      { name: 'stock_take', column: 'inventario', label: { es: 'Descuento de inventario', en: 'Stock take' }, run: noEffect },
    ],
  }),
];

export const OP_SOURCES: SourceConfig[] = [
  { name: 'epayco', kind: 'epayco', customerId: TEST_SECRETS.epaycoCustomerId, pKeys: [TEST_SECRETS.epaycoPKey] },
];

/** The server the operator's pages are tested on: the two pipelines above, in demo mode (development sign-in). */
export const OPERATOR_DEMO_SERVER: DashboardServerOptions = {
  columns: OP_COLUMNS,
  flags: OP_FLAGS,
  pipelines: OP_PIPELINES,
  sources: OP_SOURCES,
  auth: AUTH,
  signIn: { kind: 'dev' },
};

export const NOT_FOUND_404: ErrorInfo = {
  message: 'fr360_query: FR360: GET /invoices/FV-991 answered 404',
  code: 'HTTP_404',
  retriable: false,
  httpStatus: 404,
};
const TIMEOUT: ErrorInfo = { message: 'Timeout after 30s calling CRM', code: 'TIMEOUT', retriable: true };
const CODE_ERROR: ErrorInfo = { message: 'match() threw: cannot read x', code: 'PIPELINE_CODE_ERROR', retriable: false };

interface Seed {
  source: 'epayco' | 'stripe';
  id: string;
  customer: string;
  amount: number;
  stages: Array<[string, StageOutcome]>;
  status: 'succeeded' | 'dead' | 'retrying' | 'ignored';
  lastError?: ErrorInfo;
  ignoreReason?: IgnoreReason;
  /** The summary's payer instead of `customer` with a document id (e.g. an e-mail alone). */
  payer?: EventSummary['customer'];
}

const ok = (data: Record<string, string>): StageOutcome => ({ status: 'success', data });
const failed = (error: ErrorInfo): StageOutcome => ({ status: 'error', error });
const skipped = (skipReason: SkipReason): StageOutcome => ({ status: 'skipped', skipReason });

/** Stores one event and leaves it as a worker's single run would. */
export async function seedRun(store: Store, seed: Seed): Promise<EventRecord> {
  const now = new Date(Date.now() - 60_000);
  const { event } = await store.insertEvent({
    source: seed.source,
    providerEventId: seed.id,
    entityKey: seed.id,
    type: seed.source === 'stripe' ? 'checkout.session.completed' : 'transaction.accepted',
    transactionStatus: seed.status === 'ignored' ? 'rejected' : 'accepted',
    occurredAt: now,
    receivedAt: now,
    rawBody: Buffer.from(JSON.stringify({ id: seed.id })),
    contentType: 'application/json',
    payload: { id: seed.id },
    summary: {
      customer: seed.payer ?? { name: seed.customer, documentId: '1020304050' },
      product: { name: seed.source === 'stripe' ? 'Kit de pintura' : 'Membresía Elite' },
      amount: seed.amount,
      currency: 'COP',
    },
  });
  const worker = 'seed-worker';
  const claimed = await store.claimNextEvent({ workerId: worker, leaseMs: 60_000, now });
  if (claimed?.id !== event.id) throw new Error(`seed: expected to claim event ${event.id}`);
  for (const [stage, outcome] of seed.stages) {
    const attempt = outcome.status === 'skipped' ? 0 : 1;
    if (attempt) await store.recordStageStart({ eventId: event.id, stage, leaseOwner: worker, attempt, startedAt: now });
    await store.recordStageOutcome({
      eventId: event.id,
      stage,
      leaseOwner: worker,
      outcome,
      attempt,
      startedAt: attempt ? now : null,
      completedAt: new Date(now.getTime() + 300),
    });
  }
  return store.finishEvent({
    eventId: event.id,
    leaseOwner: worker,
    status: seed.status,
    pipeline: seed.status === 'ignored' ? 'facturador' : seed.source === 'stripe' ? 'stripe_orders' : 'facturador',
    nextAttemptAt: seed.status === 'retrying' ? new Date(Date.now() + 3600_000) : null,
    lastError: seed.lastError ?? null,
    ignoreReason: seed.ignoreReason ?? null,
    now: new Date(now.getTime() + 1000),
  });
}

export interface OperatorEvents {
  /** Dead at fr360_query, a stage with no column, with a permanent 404. */
  deadNoColumn: number;
  deadCrm: number;
  /** Dead before any stage: the pipeline's own code failed. */
  deadNoStage: number;
  deadStripe: number;
  retrying: number;
  ignored: number;
  stripeOk: number;
  facturadorOk: number;
}

export async function seedOperatorEvents(store: Store): Promise<OperatorEvents> {
  const fr = (id: string, customer: string, stages: Seed['stages'], status: Seed['status'], lastError?: ErrorInfo) =>
    seedRun(store, { source: 'epayco', id, customer, amount: 100_000, stages, status, ...(lastError ? { lastError } : {}) }).then(
      (e) => e.id,
    );
  const st = (id: string, customer: string, stages: Seed['stages'], status: Seed['status'], lastError?: ErrorInfo) =>
    seedRun(store, { source: 'stripe', id, customer, amount: 259_900, stages, status, ...(lastError ? { lastError } : {}) }).then(
      (e) => e.id,
    );
  const facturadorOk = await fr(
    'fr-ok',
    'Marta Ríos',
    [
      ['fr360_query', ok({ invoice: 'FV-1' })],
      ['crm_upsert', ok({ contact: 'C-1' })],
      ['worldoffice_invoice', ok({ invoice: 'WO-1' })],
      ['worldoffice_dian_emission', skipped({ kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false })],
    ],
    'succeeded',
  );
  const stripeOk = await st(
    'st-ok',
    'Jorge Salas',
    [
      ['order_record', ok({ order: 'O-1' })],
      ['stock_take', ok({ moved: '2' })],
    ],
    'succeeded',
  );
  const deadCrm = await fr(
    'fr-crm',
    'Pedro Díaz',
    [
      ['fr360_query', ok({ invoice: 'FV-2' })],
      ['crm_upsert', failed(TIMEOUT)],
    ],
    'dead',
    TIMEOUT,
  );
  const deadNoStage = await fr('fr-code', 'Lucía Vega', [], 'dead', CODE_ERROR);
  const stockError: ErrorInfo = { message: 'shop: POST /stock answered 409', code: 'SHOP_HTTP_409', retriable: true };
  const deadStripe = await st(
    'st-dead',
    'Sara Gil',
    [
      ['order_record', ok({ order: 'O-2' })],
      ['stock_take', failed(stockError)],
    ],
    'dead',
    stockError,
  );
  const retrying = await fr('fr-retry', 'Iván Mejía', [['fr360_query', failed(TIMEOUT)]], 'retrying', TIMEOUT);
  const ignored = (
    await seedRun(store, {
      source: 'epayco',
      id: 'fr-rejected',
      customer: 'Nora Paz',
      amount: 50_000,
      stages: [],
      status: 'ignored',
      ignoreReason: {
        kind: 'not_applicable',
        detail: 'payment rejected by the bank',
        texts: { es: 'pago rechazado por el banco', en: 'payment rejected by the bank' },
      },
    })
  ).id;
  const deadNoColumn = await fr('fr-404', 'Ana Gómez', [['fr360_query', failed(NOT_FOUND_404)]], 'dead', NOT_FOUND_404);
  return { deadNoColumn, deadCrm, deadNoStage, deadStripe, retrying, ignored, stripeOk, facturadorOk };
}
