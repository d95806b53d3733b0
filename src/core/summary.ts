/**
 * Checks what a stage passes to `annotate()`. The dashboard and the API read these fields as
 * typed values (an amount is a number, a reference a string); a wrong type from pipeline code
 * would surface far away as a broken column, so it is refused where it happens, naming the field.
 */
import { WebpigError } from './errors.js';
import type { EventSummary } from './types.js';

/** annotate() got a field it does not know, or a value of the wrong type. */
export class SummaryInvalidError extends WebpigError {
  constructor(message: string) {
    super('SUMMARY_INVALID', `annotate(): ${message}`);
  }
}

const CUSTOMER_FIELDS = ['name', 'documentId', 'email', 'phone'] as const;
const PRODUCT_FIELDS = ['name', 'id', 'category', 'price'] as const;
const TOP_FIELDS = ['customer', 'product', 'amount', 'currency', 'references'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : typeof value;
}

function checkString(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') throw new SummaryInvalidError(`${path} must be a string, got ${describe(value)}`);
}

function checkNumber(path: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) {
    throw new SummaryInvalidError(`${path} must be a finite number, got ${describe(value)}`);
  }
}

function checkProduct(product: unknown): void {
  if (product === undefined) return;
  // The field was a bare name before it became an object; say how to port such a call.
  if (typeof product === 'string') throw new SummaryInvalidError('product must be an object, got string (pass { name: "..." })');
  if (!isPlainObject(product)) throw new SummaryInvalidError(`product must be an object, got ${describe(product)}`);
  for (const [key, value] of Object.entries(product)) {
    if (value !== undefined && !(PRODUCT_FIELDS as readonly string[]).includes(key)) {
      throw new SummaryInvalidError(`unknown field "product.${key}" (known: ${PRODUCT_FIELDS.join(', ')})`);
    }
    if (key === 'price') checkNumber('product.price', value);
    else checkString(`product.${key}`, value);
  }
}

/**
 * Returns the patch, without its undefined values, when every field is known and well typed
 * (undefined means "not given": it leaves the field as it was); throws SummaryInvalidError
 * naming the first bad field otherwise.
 */
export function checkSummaryPatch(patch: unknown): EventSummary {
  if (!isPlainObject(patch)) throw new SummaryInvalidError(`expected an object, got ${describe(patch)}`);
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined && !(TOP_FIELDS as readonly string[]).includes(key)) {
      throw new SummaryInvalidError(`unknown field "${key}" (known: ${TOP_FIELDS.join(', ')})`);
    }
  }
  const { customer, product, amount, currency, references } = patch;
  if (customer !== undefined) {
    if (!isPlainObject(customer)) throw new SummaryInvalidError(`customer must be an object, got ${describe(customer)}`);
    for (const [key, value] of Object.entries(customer)) {
      if (value !== undefined && !(CUSTOMER_FIELDS as readonly string[]).includes(key)) {
        throw new SummaryInvalidError(`unknown field "customer.${key}" (known: ${CUSTOMER_FIELDS.join(', ')})`);
      }
      checkString(`customer.${key}`, value);
    }
  }
  checkProduct(product);
  checkString('currency', currency);
  checkNumber('amount', amount);
  if (references !== undefined) {
    if (!isPlainObject(references)) throw new SummaryInvalidError(`references must be an object, got ${describe(references)}`);
    for (const [key, value] of Object.entries(references)) checkString(`references.${key}`, value);
  }
  return withoutUndefined(patch) as EventSummary;
}

/** A copy without undefined values, nested ones included: "not given" must not erase a field set earlier. */
function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    copy[key] = isPlainObject(inner) ? withoutUndefined(inner) : inner;
  }
  return copy;
}

/**
 * Merges a summary patch into a summary: top-level fields in the patch win, while `customer`,
 * `product` and `references` are merged field by field, so stages can fill them in turn (the
 * source gives the product's name, a later look-up its id and price). Engine and stores share it.
 */
export function mergeSummary(base: EventSummary, patch: EventSummary): EventSummary {
  const merged: EventSummary = { ...base, ...patch };
  if (base.customer !== undefined || patch.customer !== undefined) merged.customer = { ...base.customer, ...patch.customer };
  if (base.product !== undefined || patch.product !== undefined) merged.product = { ...base.product, ...patch.product };
  if (base.references !== undefined || patch.references !== undefined) {
    merged.references = { ...base.references, ...patch.references };
  }
  return merged;
}
