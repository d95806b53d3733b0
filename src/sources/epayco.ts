import { createHash } from 'node:crypto';
import type { EventSummary, JsonObject, TransactionStatus } from '../core/types.js';
import type { EpaycoSourceConfig } from './config.js';
import { declaredCharset, parseFormBytes } from './body-decoding.js';
import { compact, macMatches, mediaType, singleHeader } from './delivery-reading.js';
import {
  authenticatedPayload,
  DECISIVE_FIELDS,
  fetchEpaycoReference,
  knownStateCode,
  requireSameSignedFacts,
} from './epayco-validation.js';
import { SourceError, type IncomingDelivery, type NormalizedDelivery, type SourceAdapter } from './source.js';

/**
 * ePayco confirmations (the server-to-server "URL de confirmación"): `x_*` fields in a
 * form-encoded POST body or in a GET query string. Authenticity is `x_signature` =
 * sha256(p_cust_id_cliente^p_key^x_ref_payco^x_transaction_id^x_amount^x_currency_code), a
 * plain hash (not an HMAC) over the fields exactly as received (see src/sources/README.md, ePayco).
 *
 * The signature does not cover the state or the invoice, so by default every confirmation,
 * whatever state it claims, is checked against ePayco's reference endpoint and the event
 * carries ePayco's answer (epayco-validation.ts). Identity uses only signed or validated
 * fields: one event per (x_ref_payco, validated state) — a forged "accepted" copy of a
 * pending confirmation is the pending event again, a duplicate. The entity is the invoice
 * ePayco reports (`invoice:<x_id_invoice>`, so two payments of one invoice are processed one
 * after the other), else `x_ref_payco`.
 */

const FORM = 'application/x-www-form-urlencoded';
const SIGNED_FIELDS = ['x_ref_payco', 'x_transaction_id', 'x_amount', 'x_currency_code'] as const;

/** ePayco's scheme, for a refused confirmation's message (never the keys nor the computed value). */
const EPAYCO_SCHEME = `expected the field x_signature: hex SHA-256 of "P_CUST_ID_CLIENTE^P_KEY^${SIGNED_FIELDS.join('^')}" with this source's customer id and P_KEY`;

/** ePayco's state codes (x_cod_transaction_state, else x_cod_response). Others are unknown. */
const STATUS_BY_CODE: Record<string, TransactionStatus> = {
  '1': 'accepted',
  '2': 'rejected',
  '4': 'rejected', // failed
  '10': 'rejected', // abandoned
  '11': 'rejected', // cancelled (grouped with 2/4/10 in ePayco's own plugin)
  '3': 'pending',
  '7': 'pending', // held for review ("retenido")
  '6': 'reversed',
};

export function epaycoStatus(code: string): TransactionStatus | null {
  return STATUS_BY_CODE[code] ?? null;
}

/** The x_signature ePayco computes for these fields (lower-case hex). */
export function epaycoSignature(customerId: string, pKey: string, fields: Record<string, string>): string {
  const parts = [customerId, pKey, ...SIGNED_FIELDS.map((name) => fields[name] ?? '')];
  return createHash('sha256').update(parts.join('^')).digest('hex');
}

export function createEpaycoAdapter(config: EpaycoSourceConfig): SourceAdapter {
  return {
    name: config.name,
    kind: 'epayco',
    acceptsGet: config.acceptGet,
    async verify(delivery: IncomingDelivery, now: Date): Promise<NormalizedDelivery> {
      const fields = readFields(delivery, config.acceptGet);
      const sent = fields.x_signature;
      if (sent === undefined || sent === '') throw new SourceError('SIGNATURE_MISSING', `x_signature is missing: ${EPAYCO_SCHEME}`);
      for (const name of SIGNED_FIELDS) {
        if (!fields[name]) throw new SourceError('MISSING_FIELD', `${name} is missing`);
      }
      const claimedState = fields.x_cod_transaction_state || fields.x_cod_response;
      if (!claimedState) throw new SourceError('MISSING_FIELD', 'x_cod_transaction_state and x_cod_response are missing');

      const authentic = config.pKeys.some((pKey) =>
        macMatches(Buffer.from(epaycoSignature(config.customerId, pKey, fields), 'hex'), sent, 'hex'),
      );
      if (!authentic) throw new SourceError('SIGNATURE_INVALID', `x_signature does not match: ${EPAYCO_SCHEME}`);

      const refPayco = fields.x_ref_payco as string;
      const amountText = fields.x_amount as string;
      const amount = Number(amountText);
      if (!Number.isFinite(amount)) throw new SourceError('MALFORMED_BODY', `x_amount "${amountText}" is not a number`);
      if (config.validation === false) return unvalidated(fields, claimedState, amount, now);

      const known = await fetchEpaycoReference(config.validation, refPayco);
      requireSameSignedFacts(known, fields);
      return validatedDelivery(fields, known, amount, now, { testMode: config.testMode });
    },
  };
}

/**
 * The event of a confirmation as ePayco reports it (`known`, from its reference endpoint): also
 * what reconciliation creates for a reference whose confirmation never arrived (`fields` =
 * `known` then), so both have the same dedupe key, `x_ref_payco:<validated state>`.
 */
export function validatedDelivery(
  fields: Record<string, string>,
  known: Record<string, string>,
  amount: number,
  now: Date,
  options: { testMode: boolean },
): NormalizedDelivery {
  const refPayco = fields.x_ref_payco ?? known.x_ref_payco ?? '';
  const state = knownStateCode(known, refPayco);
  const invoice = known.x_id_invoice || known.x_id_factura;
  const payload = authenticatedPayload(fields, known);
  if (!options.testMode && isTestTransaction(known, state)) return testTransaction(refPayco, state, payload, amount, now);
  const transactionStatus = epaycoStatus(state);
  return {
    providerEventId: `${refPayco}:${state}`,
    entityKey: invoice ? `invoice:${invoice}` : refPayco,
    type: `transaction.${transactionStatus ?? `state-${state}`}`,
    transactionStatus,
    occurredAt: transactionTime(topLevel(payload)) ?? now,
    payload,
    summary: epaycoSummary(topLevel(payload), amount, true),
  };
}

/**
 * Whether ePayco reports the transaction as made in test mode: `x_test_request` TRUE, or
 * accepted with the test approval code 000000 (ePayco's own plugins refuse exactly that in
 * production). Read from ePayco's answer only: the request's own x_test_request is unsigned.
 */
function isTestTransaction(known: Record<string, string>, state: string): boolean {
  if (known.x_test_request?.trim().toUpperCase() === 'TRUE') return true;
  return epaycoStatus(state) === 'accepted' && known.x_approval_code?.trim() === '000000';
}

/**
 * A test transaction on an account that is not in test mode: no money moved, whatever its state.
 * Anyone can make one (the checkout's public key and a test card) and ePayco signs its
 * confirmation, so it is kept for the operator to see but states nothing about money: no
 * transaction status, and its state and invoice moved under `testTransaction`, where no pipeline
 * reads them. Same dedupe key as the transaction would have, so a retry is a duplicate.
 */
function testTransaction(refPayco: string, state: string, payload: JsonObject, amount: number, now: Date): NormalizedDelivery {
  const kept: JsonObject = {};
  const moved: JsonObject = {};
  for (const [key, value] of Object.entries(payload)) {
    if (DECISIVE_FIELDS.includes(key)) moved[key] = value;
    else kept[key] = value;
  }
  const summary = epaycoSummary(topLevel(kept), amount, true);
  summary.references = { ...summary.references, testTransaction: 'true' };
  return {
    providerEventId: `${refPayco}:${state}`,
    entityKey: refPayco,
    type: 'transaction.test',
    transactionStatus: null,
    occurredAt: transactionTime(topLevel(kept)) ?? now,
    payload: { ...kept, testTransaction: moved },
    summary,
  };
}

/**
 * Validation explicitly off: the state and invoice are unauthenticated, so the event states
 * nothing about money (no transaction status, type `transaction.unverified`) and its payload
 * keeps them only under `unverified`; a pipeline that wants them must ask ePayco itself. The
 * claimed code stays in the dedupe key (so a later state is not lost as a duplicate), bounded
 * to 1–99 (ePayco's codes are 1–12): a replayer can add at most 99 events per reference, none
 * of them about money.
 */
function unvalidated(fields: Record<string, string>, claimedState: string, amount: number, now: Date): NormalizedDelivery {
  if (!/^[1-9]\d?$/.test(claimedState)) {
    throw new SourceError('MALFORMED_BODY', 'x_cod_transaction_state must be a number from 1 to 99');
  }
  const payload = authenticatedPayload(fields, null);
  return {
    providerEventId: `${fields.x_ref_payco}:unverified-${claimedState}`,
    entityKey: fields.x_ref_payco as string,
    type: 'transaction.unverified',
    transactionStatus: null,
    occurredAt: transactionTime(topLevel(payload)) ?? now,
    payload,
    summary: epaycoSummary(topLevel(payload), amount, false),
  };
}

/** The payload's own `x_*` text fields (not the `unverified` group). */
function topLevel(payload: JsonObject): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) if (typeof value === 'string') fields[key] = value;
  return fields;
}

/**
 * The confirmation's fields: from a form body on POST (or the query when the body is empty,
 * as some integrations send them), from the query on GET.
 */
function readFields(delivery: IncomingDelivery, acceptGet: boolean): Record<string, string> {
  if (delivery.method === 'GET') {
    if (!acceptGet) throw new SourceError('METHOD_NOT_ALLOWED', 'this source does not accept GET confirmations');
    return parseFormBytes(Buffer.from(delivery.rawQuery, 'latin1'), undefined, 'the query string');
  }
  if (delivery.rawBody.length === 0 && delivery.rawQuery !== '') {
    return parseFormBytes(Buffer.from(delivery.rawQuery, 'latin1'), undefined, 'the query string');
  }
  if (mediaType(delivery) !== FORM) {
    const got = mediaType(delivery) || 'no content type';
    throw new SourceError('UNSUPPORTED_MEDIA_TYPE', `expected ${FORM}, got ${got}`);
  }
  const text = delivery.rawBody.toString('latin1');
  if (text.trim() === '') throw new SourceError('MALFORMED_BODY', 'the body is empty');
  if (!/^[^=&]+=/.test(text)) throw new SourceError('MALFORMED_BODY', 'the body is not form-encoded (key=value&…)');
  return parseFormBytes(delivery.rawBody, declaredCharset(singleHeader(delivery, 'content-type')), 'the body');
}

/** x_fecha_transaccion is "YYYY-MM-DD HH:mm:ss" in Colombia's time (UTC−5, no DST). */
function transactionTime(fields: Record<string, string>): Date | undefined {
  const text = fields.x_fecha_transaccion ?? fields.x_transaction_date;
  const match = text?.trim().match(/^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/);
  if (!match) return undefined;
  const date = new Date(`${match[1]}T${match[2]}-05:00`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Customer fields: ePayco's plugins do not read them, so the names (`x_customer_*`) come from
 * the user's own stored confirmations in the seeds; absent ones are simply left out.
 */
function epaycoSummary(fields: Record<string, string>, amount: number, validated: boolean): EventSummary {
  const fullName = [fields.x_customer_name, fields.x_customer_lastname].filter(Boolean).join(' ');
  const customer = compact({
    name: fullName,
    documentId: fields.x_customer_document,
    email: fields.x_customer_email,
    phone: fields.x_customer_movil || fields.x_customer_phone,
  });
  const extras: Record<string, string | undefined> = {};
  for (let i = 1; i <= 10; i++) extras[`extra${i}`] = fields[`x_extra${i}`];
  const references: Record<string, string> = compact({
    refPayco: fields.x_ref_payco,
    transactionId: fields.x_transaction_id,
    invoice: fields.x_id_invoice || fields.x_id_factura,
    approvalCode: fields.x_approval_code,
    franchise: fields.x_franchise,
    ...extras,
  });
  // Whether the state, invoice and the fields ePayco reported were confirmed by ePayco.
  references.validated = String(validated);
  const summary: EventSummary = { amount, currency: fields.x_currency_code, references };
  if (Object.keys(customer).length > 0) summary.customer = customer;
  // Only the name: ePayco sends no product id (x_id_invoice is the invoice, x_extra1 an order).
  if (fields.x_description) summary.product = { name: fields.x_description };
  return summary;
}
