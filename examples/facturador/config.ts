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

import { ConfigError, COUNTRY_PLANS, DEFAULT_PHONE_COUNTRY } from '../../src/index.js';
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
   * How to read a customer's phone number that has no country code (ISO 3166-1 alpha-2, one
   * of `COUNTRY_PLANS` in src/core/phone.ts): every phone is sent in E.164. (Default: 'CO')
   */
  phoneCountry?: string;
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
  /** Strapi v5: the server with its REST prefix, e.g. `https://cms.example.com/api`. */
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
    strapi: at('strapi/api'),
    callbell: at('callbell'),
  };
}

/** The country of phone numbers without a country code, checked once when the pipeline is built. */
export function phoneCountryOf(config: FacturadorConfig): string {
  const country = config.phoneCountry ?? DEFAULT_PHONE_COUNTRY;
  if (!COUNTRY_PLANS[country]) {
    throw new ConfigError(
      `facturador: phoneCountry "${country}" is not one of ${Object.keys(COUNTRY_PLANS).join(', ')} (the country whose phone numbers come without a country code)`,
    );
  }
  return country;
}
