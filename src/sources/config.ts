import type { ResolvedSourceConfig } from '../core/source-config.js';

/**
 * The sources' configuration: its shape (the schemas and types) is in src/core/source-config.ts,
 * re-exported here for the sources' modules. It is parsed once, at start, with the whole config
 * (src/config/); the adapters receive it parsed.
 */
export {
  EPAYCO_VALIDATION_URL,
  epaycoSourceSchema,
  mercadopagoSourceSchema,
  stripeSourceSchema,
  customSourceSchema,
  sourceConfigSchema,
  type SourceConfig,
  type ResolvedSourceConfig,
  type SourceKind,
  type EpaycoSourceConfig,
  type MercadopagoSourceConfig,
  type StripeSourceConfig,
  type CustomSourceConfig,
} from '../core/source-config.js';

/**
 * What an operator must be told at start about these sources: settings that weaken what
 * webpig can prove about a delivery. The messages hold no secret.
 */
export function sourceWarnings(sources: readonly ResolvedSourceConfig[]): string[] {
  const warnings: string[] = [];
  for (const source of sources) {
    if (source.kind === 'stripe' && source.testMode) {
      warnings.push(
        `source "${source.name}": Stripe test mode is on, so test events (livemode: false, signed with the test ` +
          "endpoint's secret) count as payments. Remove testMode: true (or WEBPIG_STRIPE_TEST_MODE=on) in production.",
      );
    }
    if (source.kind !== 'epayco') continue;
    if (source.validation === false) {
      warnings.push(
        `source "${source.name}": ePayco validation is off, so a confirmation's state and invoice cannot be ` +
          'checked (x_signature does not cover them): its events are stored with no transaction status and ' +
          'without those fields. Remove validation: false (or WEBPIG_EPAYCO_VALIDATION=off) to have them checked.',
      );
    }
    if (source.testMode) {
      warnings.push(
        `source "${source.name}": ePayco test mode is on, so test transactions (test cards, which anyone can use ` +
          'with your checkout) count as payments. Remove testMode: true (or WEBPIG_EPAYCO_TEST_MODE=on) in production.',
      );
    }
  }
  return warnings;
}
