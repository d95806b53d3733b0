import { facturadorColumns, facturadorFlags, facturadorPipeline } from '../../examples/facturador/pipeline.js';
import { sandboxFacturadorConfig } from '../../examples/facturador/config.js';
import type { WebpigConfig } from '../core/config.js';
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
  const epayco = sources.find((s) => s.kind === 'epayco');
  if (epayco?.kind !== 'epayco') throw new Error('the demo always has an epayco source');
  return {
    sources,
    demoSecretsFor: demo.filter((s) => !fromEnv.has(s.name)).map((s) => s.name),
    epayco: { customerId: epayco.customerId, pKey: epayco.pKeys[0] ?? '' },
  };
}

/** The demo's whole configuration, with every connector pointed at the sandbox on `baseUrl`. */
export function demoConfig(baseUrl: string, sources: SourceConfig[]): WebpigConfig {
  return {
    sources,
    pipelines: [facturadorPipeline({ ...sandboxFacturadorConfig(baseUrl), stageTimeoutMs: 10_000 })],
    columns: facturadorColumns,
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
    worker: { concurrency: 4, leaseMs: 15_000 },
    dashboard: { timeZone: 'America/Bogota', currency: 'COP' },
  };
}
