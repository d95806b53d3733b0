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
  return sources
    .filter((source) => source.kind === 'epayco' && source.validation === false)
    .map(
      (source) =>
        `source "${source.name}": ePayco validation is off, so a confirmation's state and invoice cannot be ` +
        'checked (x_signature does not cover them): its events are stored with no transaction status and ' +
        'without those fields. Remove validation: false (or WEBPIG_EPAYCO_VALIDATION=off) to have them checked.',
    );
}
