import Stripe from 'stripe';
import { epaycoSignature } from './epayco.js';
import { hmacSha256 } from './delivery-reading.js';
import { customSignedContent } from './custom.js';
import { mercadopagoManifest } from './mercadopago.js';

/**
 * Signs deliveries the way each provider does, for tests and for the demo's traffic
 * generator. Each function returns a `SignedDelivery`: send it to
 * `<base>/webhooks/<source><query>` with its method, headers and body, byte for byte.
 */
export interface SignedDelivery {
  method: 'GET' | 'POST';
  /** '' or a query string starting with '?'. */
  query: string;
  headers: Record<string, string>;
  /** The exact bytes to send ('' for GET). */
  body: string;
}

const unixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

export interface StripeSigning {
  /** The event as an object (serialised with JSON.stringify) or as exact text. */
  payload: object | string;
  /** One secret, or several to put one v1 per secret (as Stripe does during rotation). */
  secret: string | string[];
  /** (Default: now) */
  timestamp?: Date;
}

/** A Stripe delivery, signed by the stripe package's own `generateTestHeaderString`. */
export function signStripe(options: StripeSigning): SignedDelivery {
  const payload = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload);
  const timestamp = unixSeconds(options.timestamp ?? new Date());
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  const headers = secrets.map((secret) => Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }));
  const v1 = headers.map((header) => header.split(',').find((part) => part.startsWith('v1=')));
  return {
    method: 'POST',
    query: '',
    headers: { 'content-type': 'application/json', 'stripe-signature': [`t=${timestamp}`, ...v1].join(',') },
    body: payload,
  };
}

export interface EpaycoSigning {
  customerId: string;
  pKey: string;
  /** The x_* fields; x_signature is added. Values are sent (and hashed) exactly as given. */
  fields: Record<string, string>;
  /** POST a form body, or GET with a query string. (Default: POST) */
  method?: 'GET' | 'POST';
}

/** An ePayco confirmation with its x_signature. */
export function signEpayco(options: EpaycoSigning): SignedDelivery {
  const fields = { ...options.fields, x_signature: epaycoSignature(options.customerId, options.pKey, options.fields) };
  const encoded = new URLSearchParams(fields).toString();
  if (options.method === 'GET') return { method: 'GET', query: `?${encoded}`, headers: {}, body: '' };
  return {
    method: 'POST',
    query: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encoded,
  };
}

export interface MercadopagoSigning {
  secret: string;
  /** The notification body, e.g. `{ id, type: 'payment', action: 'payment.updated', data: { id } }`. */
  body: object | string;
  /** `data.id` for the query string (and the manifest). */
  dataId: string;
  /** Extra query parameters, e.g. `{ type: 'payment' }`. */
  query?: Record<string, string>;
  /** (Default: a random UUID; null: no x-request-id header) */
  requestId?: string | null;
  /** (Default: now) */
  timestamp?: Date;
  /** Write `ts` in milliseconds, as the Orders API does. (Default: seconds) */
  timestampInMs?: boolean;
  /** Sign the lower-cased data.id (the Orders docs' rule). (Default: false) */
  lowercaseDataId?: boolean;
}

/** A MercadoPago webhook with its x-signature over the id/request-id/ts manifest. */
export function signMercadopago(options: MercadopagoSigning): SignedDelivery {
  const at = options.timestamp ?? new Date();
  const ts = String(options.timestampInMs ? at.getTime() : unixSeconds(at));
  const requestId = options.requestId === undefined ? crypto.randomUUID() : options.requestId;
  const signedId = options.lowercaseDataId ? options.dataId.toLowerCase() : options.dataId;
  const manifest = mercadopagoManifest({ dataId: signedId, requestId: requestId ?? undefined, ts });
  const v1 = hmacSha256(options.secret, manifest).toString('hex');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-signature': `ts=${ts},v1=${v1}` };
  if (requestId !== null) headers['x-request-id'] = requestId;
  const query = new URLSearchParams({ 'data.id': options.dataId, ...options.query }).toString();
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return { method: 'POST', query: `?${query}`, headers, body };
}

export interface CustomSigning {
  secret: string;
  body: object | string;
  /** (Default: x-webpig-signature) */
  signatureHeader?: string;
  /** (Default: '') */
  signaturePrefix?: string;
  /** (Default: hex) */
  encoding?: 'hex' | 'base64';
  /** When set, signs `${unix seconds}.${body}` and sends the timestamp in this header. */
  timestampHeader?: string;
  /** (Default: now) */
  timestamp?: Date;
}

/** A delivery signed like a custom source expects. */
export function signCustom(options: CustomSigning): SignedDelivery {
  const body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let timestamp: string | undefined;
  if (options.timestampHeader) {
    timestamp = String(unixSeconds(options.timestamp ?? new Date()));
    headers[options.timestampHeader] = timestamp;
  }
  const mac = hmacSha256(options.secret, customSignedContent(Buffer.from(body), timestamp));
  headers[options.signatureHeader ?? 'x-webpig-signature'] = `${options.signaturePrefix ?? ''}${mac.toString(options.encoding ?? 'hex')}`;
  return { method: 'POST', query: '', headers, body };
}
