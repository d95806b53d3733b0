// PLACEHOLDER owned by the ingestion work: the per-provider source configuration (zod schema
// and type). Replace wholesale.
export interface SourceConfig {
  name: string;
  kind: 'epayco' | 'mercadopago' | 'stripe' | 'custom';
  [option: string]: unknown;
}
