import { facturadorColumns, facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { facturadorReversalPipeline } from '../../examples/facturador/reversals.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import type { FacturadorStore } from '../../examples/facturador/payments.js';
import { STRIPE_ORDERS_COLUMNS, stripeOrdersPipeline } from '../../examples/stripe-orders/index.js';
import { SUBSCRIPTIONS_COLUMNS, subscriptionsPipeline, type SubscriptionStore } from '../../examples/subscriptions/index.js';
import { MERCADOPAGO_PAYMENTS_COLUMNS, mercadopagoPaymentsPipeline, type PaymentStore } from '../../examples/mercadopago-payments/index.js';
import type { ColumnConfig, WebpigConfig } from '../config/types.js';
import type { Store } from '../store/store.js';
import { sourcesFromEnv } from '../sources/env.js';
import type { SourceConfig } from '../sources/config.js';

/** Secrets the demo signs with when the documented environment variables are not set. */
export const DEMO_SECRETS = {
  epaycoCustomerId: 'demo-cust-1000',
  epaycoPKey: 'demo-p-key-not-secret',
  mercadopago: 'demo-mercadopago-secret',
  stripe: 'whsec_demo_not_secret',
} as const;

/** People of the demo's development sign-in: try the permission rules with each of them. */
export const DEMO_PEOPLE = {
  admin: 'admin@demo.webpig.dev',
  finance: 'finanzas@demo.webpig.dev',
  operator: 'operaciones@demo.webpig.dev',
  viewer: 'lectura@demo.webpig.dev',
} as const;

export interface DemoSources {
  sources: SourceConfig[];
  /** Which providers use the demo's own secrets (the others come from the environment). */
  demoSecretsFor: string[];
  epayco: { customerId: string; pKey: string };
  /** The secrets the example traffic signs with (null: that source is not Stripe/MercadoPago-shaped). */
  stripeSecret: string | null;
  mercadopagoSecret: string | null;
}

/** Sources from WEBPIG_* variables where set, else the demo's printed secrets. */
export function demoSources(env: Readonly<Record<string, string | undefined>>): DemoSources {
  const fromEnv = new Map(sourcesFromEnv(env).map((s) => [s.name, s]));
  const demo: SourceConfig[] = [
    { name: 'epayco', kind: 'epayco', customerId: DEMO_SECRETS.epaycoCustomerId, pKeys: [DEMO_SECRETS.epaycoPKey] },
    { name: 'mercadopago', kind: 'mercadopago', secrets: [DEMO_SECRETS.mercadopago] },
    { name: 'stripe', kind: 'stripe', secrets: [DEMO_SECRETS.stripe] },
  ];
  const sources = demo.map((s) => fromEnv.get(s.name) ?? s);
  // One-off payments come to their own URL with the same MercadoPago app secret
  // (examples/mercadopago-payments: the account's webhook, not a preapproval's notification_url).
  const subscriptionsSource = sources.find((s) => s.name === 'mercadopago');
  if (subscriptionsSource?.kind === 'mercadopago') sources.push({ ...subscriptionsSource, name: 'mercadopago-payments' });
  const epayco = sources.find((s) => s.kind === 'epayco');
  if (epayco?.kind !== 'epayco') throw new Error('the demo always has an epayco source');
  const stripe = sources.find((s) => s.name === 'stripe');
  const mercadopago = sources.find((s) => s.name === 'mercadopago');
  return {
    stripeSecret: stripe?.kind === 'stripe' ? (stripe.secrets[0] ?? null) : null,
    mercadopagoSecret: mercadopago?.kind === 'mercadopago' ? (mercadopago.secrets?.[0] ?? null) : null,
    sources,
    demoSecretsFor: demo.filter((s) => !fromEnv.has(s.name)).map((s) => s.name),
    epayco: { customerId: epayco.customerId, pKey: epayco.pKeys[0] ?? '' },
  };
}

/** The stateful objects the examples' pipelines work with (opened and closed by the demo). */
export interface DemoApps {
  /**
   * webpig's store: where the Stripe orders pipeline reports oversold items, and where the
   * Facturador claims each invoice for its first payer and reports a second one ("paid twice").
   */
  alerts: Pick<Store, 'recordAlert'> & FacturadorStore;
  /** The subscriptions example's own database. */
  subscriptions: SubscriptionStore;
  /** The one-off payments example's shop database (its `payments` table). */
  payments: PaymentStore;
}

/** Columns of several pipelines, each key once (the first label wins). */
export function mergeColumns(...groups: ColumnConfig[][]): ColumnConfig[] {
  const byKey = new Map<string, ColumnConfig>();
  for (const column of groups.flat()) if (!byKey.has(column.key)) byKey.set(column.key, column);
  return [...byKey.values()];
}

/**
 * The demo's whole configuration, with every connector pointed at the sandbox on `baseUrl`.
 * Pipeline order matters (the first match wins): Facturador takes source epayco (its reversals
 * go to the Facturador's reversal pipeline, whatever its place), the Stripe orders shop source stripe, the subscriptions app source mercadopago, one-off MercadoPago
 * payments source mercadopago-payments.
 */
/** The sandbox accepts any key; this one says where it comes from. */
const DEMO_STRIPE_API_KEY = 'sk_test_webpig_demo_sandbox';

/** `sandboxUrl`: where the sandbox's services answer (the demo's sandbox process); the shop stays on `baseUrl`. */
export function demoConfig(baseUrl: string, sources: SourceConfig[], apps: DemoApps, sandboxUrl = baseUrl): WebpigConfig {
  const mercadopagoApiUrl = `${sandboxUrl}/sandbox/mercadopago`;
  // The demo's ePayco is the sandbox's: confirmations are validated there unless the
  // environment chose otherwise (WEBPIG_EPAYCO_VALIDATION).
  const withSandboxValidation = (source: SourceConfig): SourceConfig =>
    source.kind === 'epayco' && source.validation === undefined
      ? { ...source, validation: { baseUrl: `${sandboxUrl}/sandbox/epayco` } }
      : source;
  const facturador = { ...sandboxFacturadorConfig(sandboxUrl), stageTimeoutMs: 10_000, store: apps.alerts };
  return {
    sources: sources.map(withSandboxValidation),
    pipelines: [
      facturadorPipeline(facturador),
      facturadorReversalPipeline(facturador),
      stripeOrdersPipeline({ shopBaseUrl: baseUrl, alerts: apps.alerts }),
      subscriptionsPipeline({ subscriptions: apps.subscriptions, mercadopagoApiUrl }),
      mercadopagoPaymentsPipeline({
        mercadopagoApiUrl,
        payments: apps.payments,
        gohighlevel: { baseUrl: `${sandboxUrl}/sandbox/gohighlevel`, token: 'demo-ghl-token', locationId: 'demo-location' },
      }),
    ],
    columns: mergeColumns(facturadorColumns, STRIPE_ORDERS_COLUMNS, SUBSCRIPTIONS_COLUMNS, MERCADOPAGO_PAYMENTS_COLUMNS),
    flags: facturadorFlags,
    auth: {
      devLogin: true,
      allowedDomains: ['demo.webpig.dev'],
      defaultRole: 'viewer',
      roles: {
        admin: { members: [DEMO_PEOPLE.admin] },
        finance: { members: [DEMO_PEOPLE.finance], scopes: ['events:read', 'events:retry', 'flags:write', 'audit:read'] },
        operator: { members: [DEMO_PEOPLE.operator] },
      },
    },
    worker: { leaseMs: 15_000 },
    // The sandbox's Stripe keeps the account's events; webhooks its traffic "lost" are found here.
    reconcile: { stripe: { every: '30s', lookBack: '48h', apiBaseUrl: `${sandboxUrl}/sandbox/stripe`, apiKey: DEMO_STRIPE_API_KEY } },
    dashboard: { timeZone: 'America/Bogota', currency: 'COP' },
  };
}
