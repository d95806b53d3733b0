/**
 * A source as a finance person reads it: a built-in provider by its own name (ePayco,
 * MercadoPago, Stripe), any other source by its configured name as written. The server says each
 * source's provider (`sourceKinds` in /api/config), so a provider configured under another name
 * reads as the provider with that name beside it: `stripe_eu` → "Stripe (stripe_eu)", which also
 * tells it from a second Stripe account. Without the kinds (an older server), a source named after
 * its kind is taken for that provider, as the examples and docs configure them.
 * Technical places (the panel's ID line, data-source attributes) keep the raw name.
 */
const PROVIDER_NAMES: ReadonlyMap<string, string> = new Map([
  ['epayco', 'ePayco'],
  ['mercadopago', 'MercadoPago'],
  ['stripe', 'Stripe'],
]);

/** Each configured source's kind by name, as /api/config gives it; null: not told. */
export type SourceKinds = Readonly<Record<string, string>> | null;

let configured: ReadonlyMap<string, string> | null = null;

/**
 * The page's server's source kinds, once /api/config has answered. Kept here rather than passed
 * down because a name is written in many places (the reconciliation line and panel among them)
 * and the page talks to one server: the kinds change only when it loads its config again.
 */
export function rememberSourceKinds(kinds: SourceKinds): void {
  configured = kinds ? new Map(Object.entries(kinds)) : null;
}

export function sourceDisplayName(source: string, kinds: SourceKinds | undefined = undefined): string {
  const known = kinds === undefined ? configured : kinds ? new Map(Object.entries(kinds)) : null;
  const kind = known?.get(source);
  if (kind === undefined) return PROVIDER_NAMES.get(source) ?? source;
  const provider = PROVIDER_NAMES.get(kind);
  if (!provider) return source;
  return source === kind ? provider : `${provider} (${source})`;
}
