import { ConfigError } from '../core/errors.js';
import { sourceConfigSchema, type ResolvedSourceConfig } from '../core/source-config.js';

/**
 * Validation of the sources' configuration, once, at start. Their shape (the schemas and types)
 * is in src/core/source-config.ts, re-exported here for the sources' modules.
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

/** Validates source configurations; throws ConfigError naming the source and field at fault. */
export function parseSourceConfigs(input: readonly unknown[]): ResolvedSourceConfig[] {
  const names = new Set<string>();
  return input.map((raw, index) => {
    const result = sourceConfigSchema.safeParse(raw);
    const label = describeSource(raw, index);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(source)';
      throw new ConfigError(`${label}: ${field}: ${issue?.message ?? 'invalid'}`);
    }
    const source = result.data;
    if (source.kind === 'mercadopago' && source.secrets.length === 0 && !source.verifyByFetching) {
      throw new ConfigError(`${label}: secrets: a MercadoPago source needs a secret unless verifyByFetching is set`);
    }
    if (names.has(source.name)) throw new ConfigError(`${label}: name: "${source.name}" is used twice`);
    names.add(source.name);
    return source;
  });
}

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

function describeSource(raw: unknown, index: number): string {
  if (raw && typeof raw === 'object' && 'name' in raw && typeof raw.name === 'string') {
    return `sources[${index}] ("${raw.name}")`;
  }
  return `sources[${index}]`;
}
