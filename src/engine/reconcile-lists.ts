/**
 * Which provider list a source is reconciled against, where its API is and with which
 * credential: the config's `reconcile.<source>` first, then what the database records (the
 * demo records its sandbox, so `webpig reconcile --db` run on its own finds it), then the
 * provider's own API with the credential from the environment.
 */
import type { ReconcileSettings } from '../config/types.js';
import { ConfigError } from '../core/errors.js';
import type { ResolvedSourceConfig, SourceKind } from '../sources/config.js';
import type { ProviderList } from '../sources/listing/provider-list.js';
import { EPAYCO_VALIDATION_URL } from '../sources/config.js';
import { epaycoReferenceList } from '../sources/listing/epayco-references.js';
import { MERCADOPAGO_API_URL, mercadopagoSearchList } from '../sources/listing/mercadopago-search.js';
import { STRIPE_API_URL, stripeEventList } from '../sources/listing/stripe-events.js';

export interface ProviderListInput {
  source: string;
  /** The source's kind from the config; null when no config names it (then its name must be a provider's). */
  kind: SourceKind | null;
  settings: ReconcileSettings | undefined;
  /** What the database records for the source (`recordProviderApi`), if anything. */
  recordedApiBaseUrl: string | null;
  env: Readonly<Record<string, string | undefined>>;
  /** The configured sources that can be reconciled, named when `source` is none of them. (Default: not named) */
  reconcilable?: readonly string[];
  /** The source as the config resolves it: ePayco's customer id, its and Stripe's test mode. (Default: none) */
  sourceConfig?: ResolvedSourceConfig;
}

/** The key a sandbox accepts; used only against an API address the database recorded (the demo's). */
const SANDBOX_KEY = 'sk_test_webpig_sandbox';

export function providerListFor(input: ProviderListInput): ProviderList {
  const kind = input.kind ?? (isProviderName(input.source) ? input.source : null);
  const apiBaseUrl = input.settings?.apiBaseUrl ?? input.recordedApiBaseUrl ?? undefined;
  switch (kind) {
    case 'stripe':
      return stripeEventList({
        apiBaseUrl: apiBaseUrl ?? STRIPE_API_URL,
        apiKey: credential(input, 'WEBPIG_STRIPE_API_KEY', 'a Stripe secret or restricted key that may read events (sk_… or rk_…)'),
        ...(input.settings?.types ? { types: input.settings.types } : {}),
        ...(input.sourceConfig?.kind === 'stripe' ? { testMode: input.sourceConfig.testMode } : {}),
      });
    case 'mercadopago':
      return mercadopagoSearchList({
        apiBaseUrl: apiBaseUrl ?? MERCADOPAGO_API_URL,
        accessToken: credential(input, 'WEBPIG_MERCADOPAGO_ACCESS_TOKEN', "the account's MercadoPago access token (APP_USR-…)"),
      });
    case 'epayco': {
      const references = input.settings?.references;
      if (!references) {
        throw new ConfigError(
          `reconciling "${input.source}" needs reconcile.${input.source}.references: ePayco has no public list of transactions, so webpig looks up the references you give (docs/reconcile.md)`,
          { code: 'RECONCILE_UNSUPPORTED' },
        );
      }
      const epayco = input.sourceConfig?.kind === 'epayco' ? input.sourceConfig : undefined;
      return epaycoReferenceList({
        validation: { baseUrl: apiBaseUrl ?? EPAYCO_VALIDATION_URL, timeoutMs: 5_000 },
        references,
        ...(epayco ? { customerId: epayco.customerId, testMode: epayco.testMode } : {}),
      });
    }
    default:
      throw new ConfigError(
        `source "${input.source}" cannot be reconciled: ${kind === null ? `no source of that name is configured${configuredNote(input.reconcilable)}` : `${kind} sources have no provider list`}; ` +
          'reconciliation reads Stripe and MercadoPago accounts, and looks up the ePayco references you give (docs/reconcile.md)',
        { code: 'RECONCILE_UNSUPPORTED' },
      );
  }
}

/** ` (the configured ones that can be: stripe, shop_mp)`, for a --source that names none of them. */
function configuredNote(reconcilable: readonly string[] | undefined): string {
  return reconcilable === undefined ? '' : ` (the configured ones that can be: ${reconcilable.join(', ') || 'none'})`;
}

function isProviderName(name: string): name is 'stripe' | 'mercadopago' | 'epayco' {
  return name === 'stripe' || name === 'mercadopago' || name === 'epayco';
}

function credential(input: ProviderListInput, variable: string, what: string): string {
  const value = input.settings?.apiKey ?? input.env[variable]?.trim();
  if (value) return value;
  if (input.settings?.apiBaseUrl === undefined && input.recordedApiBaseUrl !== null) return SANDBOX_KEY;
  throw new ConfigError(`reconciling "${input.source}" needs ${what}: set ${variable}, or reconcile.${input.source}.apiKey in the config`, {
    code: 'CONFIG_INVALID',
  });
}
