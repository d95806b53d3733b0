import { httpCall } from '../core/http-call.js';
import type { JsonObject } from '../core/types.js';
import type { EpaycoSourceConfig } from './config.js';
import { isJsonObject } from './delivery-reading.js';
import { SourceError } from './source.js';

/**
 * ePayco's `x_signature` covers only x_ref_payco, x_transaction_id, x_amount and
 * x_currency_code (with the merchant's id and key). Everything else in a confirmation — the
 * state, the invoice, the extras, the customer — can be changed by anyone who has seen one
 * signed confirmation (a customer sees their own pending one). So webpig asks ePayco's
 * reference endpoint what it knows and keeps ePayco's answer, not the request's claims.
 */

export type EpaycoValidation = Exclude<EpaycoSourceConfig['validation'], false>;

/**
 * Fields that decide money or identity downstream: a pipeline reads the state to decide
 * whether to invoice, and the invoice id (or x_extra1, where shop plugins put the order) to
 * decide what. Unless ePayco itself reported them, they never stay in an event's payload.
 */
export const DECISIVE_FIELDS: readonly string[] = [
  'x_cod_transaction_state',
  'x_cod_response',
  'x_cod_respuesta',
  'x_transaction_state',
  'x_response',
  'x_respuesta',
  'x_response_reason_text',
  'x_approval_code',
  'x_id_invoice',
  'x_id_factura',
  ...Array.from({ length: 10 }, (_, i) => `x_extra${i + 1}`),
];

/**
 * The `x_*` fields ePayco reports for a reference, as text. Unreachable, a 5xx, or an answer
 * without data → 503 (ePayco retries the confirmation later); a reference ePayco does not know
 * → 401 (a signature made with a leaked key, or the wrong account).
 */
export async function fetchEpaycoReference(
  validation: EpaycoValidation,
  refPayco: string,
  /** Aborts the request in flight (reconciliation's run stopping). (Default: only the timeout) */
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const url = `${validation.baseUrl.replace(/\/+$/, '')}/validation/v1/reference/${encodeURIComponent(refPayco)}`;
  let status: number;
  let body: unknown;
  // A controller and a timer cleared with the answer, not AbortSignal.timeout(): that one cost
  // ~3× as much to make, and its timer outlived the call by the whole timeout (5 s), one a
  // delivery, each firing at last for nothing (bench/README.md, issue 11 branch engine-rest).
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    validation.timeoutMs,
  );
  const stop = () => deadline.abort(signal?.reason);
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop, { once: true });
  try {
    // Kept-alive connections, not fetch(): one call a delivery to the same host (src/core/http-call.ts).
    const reply = await httpCall(url, { method: 'GET', headers: { accept: 'application/json' }, signal: deadline.signal });
    status = reply.status;
    // Only a 2xx answer is parsed: an error page need not be JSON, and its status says enough.
    if (status >= 200 && status <= 299) body = JSON.parse(reply.text);
  } catch (err) {
    throw new SourceError('VALIDATION_UNAVAILABLE', `could not validate ${refPayco} with ePayco: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
  if (status === 404 || (isJsonObject(body) && body.success === false)) {
    throw new SourceError('VALIDATION_MISMATCH', `ePayco does not know the reference ${refPayco}`);
  }
  if (status < 200 || status > 299) {
    throw new SourceError('VALIDATION_UNAVAILABLE', `could not validate ${refPayco} with ePayco: HTTP ${status}`);
  }
  if (!isJsonObject(body) || !isJsonObject(body.data)) {
    throw new SourceError('VALIDATION_UNAVAILABLE', `ePayco's answer about ${refPayco} has no data`);
  }
  return textFields(body.data);
}

function textFields(data: JsonObject): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith('x_')) continue;
    if (typeof value === 'string') fields[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) fields[key] = String(value);
  }
  return fields;
}

/**
 * Requires ePayco's record to agree with the signed fields: the same reference, amount and
 * currency. (x_transaction_id is not compared: ePayco's answer describes the reference's latest
 * transaction, which need not be the one a late confirmation was about.)
 */
export function requireSameSignedFacts(known: Record<string, string>, fields: Record<string, string>): void {
  const ref = fields.x_ref_payco ?? '';
  const sameAmount = known.x_amount !== undefined && Number(known.x_amount) === Number(fields.x_amount);
  const knownCurrency = known.x_currency_code?.toUpperCase();
  const sameCurrency = knownCurrency === undefined || knownCurrency === fields.x_currency_code?.toUpperCase();
  if (known.x_ref_payco !== ref || !sameAmount || !sameCurrency) {
    throw new SourceError(
      'VALIDATION_MISMATCH',
      `ePayco reports reference ${ref} as ${known.x_ref_payco ?? '?'} for ${known.x_amount ?? '?'} ${known.x_currency_code ?? ''}`.trim() +
        `, not ${fields.x_amount ?? '?'} ${fields.x_currency_code ?? ''}`.trimEnd(),
    );
  }
}

/** ePayco's state code for the reference: x_cod_transaction_state, else x_cod_response. */
export function knownStateCode(known: Record<string, string>, refPayco: string): string {
  const code = known.x_cod_transaction_state || known.x_cod_response;
  if (!code) throw new SourceError('VALIDATION_UNAVAILABLE', `ePayco's answer about ${refPayco} has no state`);
  return code;
}

/** Signed (or signature) fields: the request's exact text is kept (x_amount as it was hashed). */
const KEPT_AS_SENT = new Set(['x_signature', 'x_ref_payco', 'x_transaction_id', 'x_amount', 'x_currency_code']);

/**
 * The event's payload: the request's fields with every field ePayco reported replaced by
 * ePayco's value (`known`, or nothing when validation is off). What the request said that
 * ePayco contradicted, and the decisive fields ePayco did not report, move to `unverified` —
 * kept for the operator to read, out of the top level where pipelines look.
 */
export function authenticatedPayload(fields: Record<string, string>, known: Record<string, string> | null): JsonObject {
  const payload: Record<string, string> = {};
  const unverified: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    const reported = KEPT_AS_SENT.has(key) ? undefined : known?.[key];
    if (reported !== undefined && reported !== value) unverified[key] = value;
    else if (reported === undefined && DECISIVE_FIELDS.includes(key)) unverified[key] = value;
    else payload[key] = value;
  }
  for (const [key, value] of Object.entries(known ?? {})) {
    if (!KEPT_AS_SENT.has(key)) payload[key] = value;
  }
  return Object.keys(unverified).length > 0 ? { ...payload, unverified } : payload;
}
