import { signEpayco, type SignedDelivery } from '../sources/signing.js';
import { fakeInvoice } from './fake-data.js';

/**
 * Realistic ePayco confirmations for the sandbox's invoices: the fields ePayco posts to a
 * confirmation URL (src/sources/README.md, ePayco), with the customer and product FR360 knows for the
 * invoice, signed with the merchant's P_CUST_ID_CLIENTE and P_KEY.
 */

/** ePayco's x_cod_transaction_state: 1 accepted, 2 rejected, 3 pending, 4 failed, 6 reversed. */
export type EpaycoStateCode = '1' | '2' | '3' | '4' | '6';

const RESPONSE_TEXT: Record<EpaycoStateCode, string> = {
  '1': 'Aceptada',
  '2': 'Rechazada',
  '3': 'Pendiente',
  '4': 'Fallida',
  '6': 'Reversada',
};

export interface ConfirmationInput {
  invoiceId: string;
  /** ePayco's reference of the payment: the entity every state of one payment shares. */
  refPayco: string;
  state: EpaycoStateCode;
  /** (Default: the FR360 product price of the invoice, else 100000) */
  amount?: number;
  /** When the transaction happened. (Default: now) */
  at?: Date;
  customerId: string;
}

export interface EpaycoCredentials {
  /** P_CUST_ID_CLIENTE. */
  customerId: string;
  /** P_KEY. */
  pKey: string;
}

export function confirmationFields(input: ConfirmationInput): Record<string, string> {
  const invoice = fakeInvoice(input.invoiceId);
  const amount = input.amount ?? invoice?.product.price ?? 100000;
  const [firstName = '', ...lastNames] = (invoice?.customer.name ?? 'Cliente Desconocido').split(' ');
  return {
    x_cust_id_cliente: input.customerId,
    x_ref_payco: input.refPayco,
    x_transaction_id: `${input.refPayco}${input.state}`,
    x_amount: amount.toFixed(2),
    x_currency_code: 'COP',
    x_cod_transaction_state: input.state,
    x_cod_response: input.state,
    x_response: RESPONSE_TEXT[input.state],
    x_approval_code: input.state === '1' ? String(100000 + (Number(input.refPayco) % 900000)) : '000000',
    x_franchise: 'VS',
    x_fecha_transaccion: bogotaTime(input.at ?? new Date()),
    x_description: invoice?.product.name ?? 'Producto',
    x_id_invoice: input.invoiceId,
    x_customer_name: firstName,
    x_customer_lastname: lastNames.join(' '),
    x_customer_document: invoice?.customer.documentId ?? '',
    x_customer_email: invoice?.customer.email ?? '',
    x_customer_movil: invoice?.customer.phone.replace(/^57/, '') ?? '',
    // A production account's confirmation: a test one ('TRUE') is no payment (source option testMode).
    x_test_request: 'FALSE',
  };
}

/** A signed, form-encoded confirmation ready to POST to `/webhooks/<source>`. */
export function signedConfirmation(input: Omit<ConfirmationInput, 'customerId'>, credentials: EpaycoCredentials): SignedDelivery {
  return signEpayco({
    customerId: credentials.customerId,
    pKey: credentials.pKey,
    fields: confirmationFields({ ...input, customerId: credentials.customerId }),
  });
}

/**
 * Makes (or moves to a new state) the payment in the sandbox's ePayco at `sandboxUrl` (e.g.
 * `http://127.0.0.1:3000/sandbox`), so that its reference endpoint reports it: webpig's ePayco
 * source validates every confirmation there before accepting it.
 */
export async function makeSandboxPayment(
  sandboxUrl: string,
  input: Omit<ConfirmationInput, 'customerId'>,
  credentials: EpaycoCredentials,
  signal?: AbortSignal,
): Promise<void> {
  const res = await fetch(`${sandboxUrl.replace(/\/+$/, '')}/epayco/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(confirmationFields({ ...input, customerId: credentials.customerId })),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`making a payment in the sandbox's ePayco failed: ${res.status} ${await res.text()}`);
}

/** "YYYY-MM-DD HH:mm:ss" in Colombia's time (UTC−5, no DST), as ePayco writes it. */
function bogotaTime(at: Date): string {
  return new Date(at.getTime() - 5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}
