/**
 * A source as a finance person reads it: the built-in providers by their own names (a source
 * named after its kind, as the examples and docs configure them: `epayco` → ePayco), any other
 * source by its configured name as written. The page is told sources' names, not their kinds, so
 * a built-in provider configured under another name (`stripe_eu`) keeps that name.
 * Technical places (the panel's ID line, data-source attributes) keep the raw name.
 */
const PROVIDER_NAMES: ReadonlyMap<string, string> = new Map([
  ['epayco', 'ePayco'],
  ['mercadopago', 'MercadoPago'],
  ['stripe', 'Stripe'],
]);

export function sourceDisplayName(source: string): string {
  return PROVIDER_NAMES.get(source) ?? source;
}
