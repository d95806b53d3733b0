/**
 * Where the Facturador's external systems are and how to authenticate. The same pipeline runs
 * against the sandbox (`sandboxFacturadorConfig`) or the real services (URLs and tokens from
 * the environment, in the user's webpig.config.ts).
 */
export interface ServiceEndpoint {
  /** Base URL without a trailing slash, e.g. `https://api.worldoffice.example/api`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. Never logged. */
  token?: string;
}

import type { FacturadorStore } from './store.js';

export interface FacturadorConfig {
  /** Name of the ePayco source whose events this pipeline handles. (Default: 'epayco') */
  source?: string;
  /**
   * webpig's store (the one the worker uses). With it, the first accepted payment of an invoice
   * claims it and a second payment by another transaction raises a "paid twice" alert instead
   * of being invoiced (`invoice_payment` stage). Without it, the engine's entity gate ignores a
   * second accepted payment of the same entity, silently. (Default: none)
   */
  store?: FacturadorStore;
  /**
   * Send the customer a WhatsApp message (Callbell) when ePayco reverses a payment that was
   * invoiced (facturadorReversalPipeline). (Default: true)
   */
  whatsappOnReversal?: boolean;
  /** Longest a stage may take, calls included; then it is retried. (Default: the engine's, 30_000 ms) */
  stageTimeoutMs?: number;
  fr360: ServiceEndpoint;
  frapp: ServiceEndpoint;
  clientify: ServiceEndpoint;
  worldoffice: ServiceEndpoint;
  strapi: ServiceEndpoint;
  callbell: ServiceEndpoint;
}

/** Every service pointed at the sandbox served by `baseUrl` (e.g. `http://127.0.0.1:3000`). */
export function sandboxFacturadorConfig(baseUrl: string, source = 'epayco'): FacturadorConfig {
  const at = (service: string): ServiceEndpoint => ({ baseUrl: `${baseUrl.replace(/\/$/, '')}/sandbox/${service}`, token: 'sandbox' });
  return {
    source,
    fr360: at('fr360'),
    frapp: at('frapp'),
    clientify: at('clientify'),
    worldoffice: at('worldoffice'),
    strapi: at('strapi'),
    callbell: at('callbell'),
  };
}
