import { SourceError } from '../source.js';
import { fetchEpaycoReference, type EpaycoValidation } from '../epayco-validation.js';
import { validatedDelivery } from '../epayco.js';
import { ProviderApiError, type ListedItem, type ListedPage, type ProviderList } from './provider-list.js';

/**
 * ePayco has no public endpoint that lists an account's transactions, so its reconciliation
 * looks up the references the shop knows (`reconcile.epayco.references`, e.g. today's invoices'
 * `x_ref_payco` from FR360) one by one, at the reference endpoint the validation of every
 * confirmation already uses. Each known reference becomes the event its validated confirmation
 * would have made (same dedupe key, `x_ref_payco:<state>`). A reference ePayco does not know is
 * skipped: there is no payment to recover.
 */
export interface EpaycoReferenceListConfig {
  validation: EpaycoValidation;
  references: () => Promise<string[]> | string[];
  /** References looked up per page (progress is recorded after each). (Default: 20) */
  pageSize?: number;
  /** Test transactions count as payments, as the source's `testMode` says. (Default: false) */
  testMode?: boolean;
  /**
   * The account's P_CUST_ID_CLIENTE. ePayco's reference endpoint answers about any merchant's
   * reference, and a reference the shop knows may have been typed by a customer: one ePayco
   * reports for another customer id is skipped, never made this account's payment. (Default:
   * not checked — a source the config names always gives it)
   */
  customerId?: string;
}

export function epaycoReferenceList(config: EpaycoReferenceListConfig): ProviderList {
  const pageSize = config.pageSize ?? 20;
  let references: Promise<string[]> | null = null;
  return {
    provider: 'ePayco',
    // No endpoint lists an account's transactions: a run covers the references, not a window.
    listsBy: 'references',
    async page(_since: Date, cursor: string | null, signal?: AbortSignal): Promise<ListedPage> {
      references ??= Promise.resolve(config.references()).then((list) => [...new Set(list.map(String))]);
      const all = await references;
      const from = cursor === null ? 0 : Number(cursor);
      const items: ListedItem[] = [];
      for (const reference of all.slice(from, from + pageSize)) {
        const item = await lookUp(config, reference, signal);
        if (item) items.push(item);
      }
      const next = from + pageSize;
      return { items, nextCursor: next < all.length ? String(next) : null };
    },
  };
}

async function lookUp(config: EpaycoReferenceListConfig, reference: string, signal: AbortSignal | undefined): Promise<ListedItem | null> {
  let known: Record<string, string>;
  try {
    known = await fetchEpaycoReference(config.validation, reference, signal);
  } catch (err) {
    if (err instanceof SourceError && err.code === 'VALIDATION_MISMATCH') return null;
    throw new ProviderApiError(503, `ePayco: the look-up of ${reference} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  // Another merchant's payment: a webhook would need our P_KEY's signature; a look-up needs only its reference.
  const owner = known.x_cust_id_cliente;
  if (config.customerId !== undefined && owner !== undefined && owner.trim() !== config.customerId) return null;
  const amount = Number(known.x_amount);
  const delivery = validatedDelivery(known, known, Number.isFinite(amount) ? amount : 0, new Date(), {
    testMode: config.testMode ?? false,
  });
  return { delivery, rawBody: Buffer.from(JSON.stringify(known)) };
}
