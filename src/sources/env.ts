import { ConfigError } from '../core/errors.js';
import type { SourceConfig } from './config.js';

/**
 * Default sources from environment variables (documented in the README):
 *
 * - `WEBPIG_STRIPE_WEBHOOK_SECRET`: Stripe endpoint secret(s) `whsec_…`; several, comma-separated,
 *   while a secret is being rotated (current first). → source `stripe`
 * - `WEBPIG_MERCADOPAGO_WEBHOOK_SECRET`: the application's secret signature (comma-separated
 *   for rotation). → source `mercadopago`
 * - `WEBPIG_EPAYCO_CUSTOMER_ID` and `WEBPIG_EPAYCO_P_KEY` (P_KEY comma-separated for rotation):
 *   both needed: one without the other is a ConfigError naming both (it was silently no source,
 *   and /webhooks/epayco answered 404). → source `epayco`
 * - `WEBPIG_EPAYCO_VALIDATION`: `off` turns ePayco's server-side validation off (webpig warns at
 *   start); a URL replaces ePayco's own server (`https://secure.epayco.co`) for it, e.g. a sandbox;
 *   unset or `on`: validation against ePayco's server.
 * - `WEBPIG_EPAYCO_TEST_MODE`: `on` while the ePayco account is in test mode (its test
 *   transactions count as payments, with a warning at start); unset or `off` in production.
 * - `WEBPIG_STRIPE_TEST_MODE`: `on` while the Stripe source is meant to receive test mode (its
 *   `livemode: false` events count as payments, with a warning at start); unset or `off` in production.
 *
 * A provider whose variables are not set gets no source. Values are never logged.
 * (Stripe's and MercadoPago's webhook sources need one variable each, so only ePayco's can be half set.)
 */
export function sourcesFromEnv(env: Readonly<Record<string, string | undefined>>): SourceConfig[] {
  const sources: SourceConfig[] = [];
  const epaycoCustomerId = env.WEBPIG_EPAYCO_CUSTOMER_ID?.trim();
  const epaycoKeys = list(env.WEBPIG_EPAYCO_P_KEY);
  assertBothOrNeither('WEBPIG_EPAYCO_P_KEY', epaycoKeys.length > 0, 'WEBPIG_EPAYCO_CUSTOMER_ID', Boolean(epaycoCustomerId));
  if (epaycoCustomerId && epaycoKeys.length > 0) {
    const source: SourceConfig = { name: 'epayco', kind: 'epayco', customerId: epaycoCustomerId, pKeys: epaycoKeys };
    const validation = env.WEBPIG_EPAYCO_VALIDATION?.trim() ?? '';
    // Anything that is not off/on is taken as the URL: the config check names it if it is not one.
    if (validation.toLowerCase() === 'off') source.validation = false;
    else if (validation !== '' && validation.toLowerCase() !== 'on') source.validation = { baseUrl: validation };
    if (onOff(env, 'WEBPIG_EPAYCO_TEST_MODE')) source.testMode = true;
    sources.push(source);
  }
  const mercadopagoSecrets = list(env.WEBPIG_MERCADOPAGO_WEBHOOK_SECRET);
  if (mercadopagoSecrets.length > 0) {
    sources.push({ name: 'mercadopago', kind: 'mercadopago', secrets: mercadopagoSecrets });
  }
  const stripeSecrets = list(env.WEBPIG_STRIPE_WEBHOOK_SECRET);
  const stripeTestMode = onOff(env, 'WEBPIG_STRIPE_TEST_MODE');
  if (stripeSecrets.length > 0) {
    sources.push({ name: 'stripe', kind: 'stripe', secrets: stripeSecrets, ...(stripeTestMode ? { testMode: true } : {}) });
  }
  return sources;
}

/** A test-mode switch: true for `on`, false for `off` or unset; anything else is a ConfigError naming it. */
function onOff(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const value = env[name]?.trim().toLowerCase() ?? '';
  if (value !== '' && value !== 'on' && value !== 'off') {
    throw new ConfigError(`${name} must be on or off, not "${value.slice(0, 40)}"`);
  }
  return value === 'on';
}

function assertBothOrNeither(first: string, firstSet: boolean, second: string, secondSet: boolean): void {
  if (firstSet === secondSet) return;
  const [set, unset] = firstSet ? [first, second] : [second, first];
  throw new ConfigError(`${set} is set but ${unset} is not: ePayco needs both (or neither, for no ePayco source)`);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
