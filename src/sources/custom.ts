import { TRANSACTION_STATUSES, type EventSummary, type JsonObject, type ProductSummary, type TransactionStatus } from '../core/types.js';
import type { CustomSourceConfig } from './config.js';
import {
  asText,
  compact,
  hmacSha256,
  macMatches,
  parseJsonObject,
  parseTime,
  parseUnixTimestamp,
  requireMediaType,
  requireWithinTolerance,
  singleHeader,
  valueAtPath,
} from './delivery-reading.js';
import { SourceError, type IncomingDelivery, type NormalizedDelivery, type SourceAdapter } from './source.js';

/**
 * Any JSON sender with a shared secret: the signature header holds HMAC-SHA256 of the raw
 * body (or of `${timestamp}.${rawBody}` when a timestamp header is configured), hex or
 * base64, optionally after a prefix such as `sha256=`. Identity and facts come from
 * configured JSON paths.
 */

/** The string a custom sender signs. */
export function customSignedContent(rawBody: Buffer, timestamp?: string): Buffer {
  return timestamp === undefined ? rawBody : Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]);
}

export function createCustomAdapter(config: CustomSourceConfig): SourceAdapter {
  return {
    name: config.name,
    kind: 'custom',
    acceptsGet: false,
    async verify(delivery: IncomingDelivery, now: Date): Promise<NormalizedDelivery> {
      if (delivery.method !== 'POST') throw new SourceError('METHOD_NOT_ALLOWED', 'deliveries are POSTed');
      requireMediaType(delivery, ['application/json']);
      const header = singleHeader(delivery, config.signatureHeader);
      if (header === undefined || header.trim() === '') {
        throw new SourceError('SIGNATURE_MISSING', `the ${config.signatureHeader} header is missing: ${customScheme(config)}`);
      }
      let timestamp: string | undefined;
      if (config.timestampHeader) {
        timestamp = singleHeader(delivery, config.timestampHeader);
        if (timestamp === undefined || timestamp.trim() === '') {
          throw new SourceError('SIGNATURE_MISSING', `the ${config.timestampHeader} header is missing: ${customScheme(config)}`);
        }
      }
      const sent = header.trim().startsWith(config.signaturePrefix) ? header.trim().slice(config.signaturePrefix.length) : null;
      const content = customSignedContent(delivery.rawBody, timestamp);
      const authentic =
        sent !== null && config.secrets.some((secret) => macMatches(hmacSha256(secret, content), sent, config.signatureEncoding));
      if (!authentic)
        throw new SourceError('SIGNATURE_INVALID', `the ${config.signatureHeader} signature does not match: ${customScheme(config)}`);
      // Checked after the MAC so the tolerance error is only ever about an authentic request.
      if (timestamp !== undefined) {
        requireWithinTolerance(parseUnixTimestamp(timestamp, config.timestampHeader ?? 'timestamp'), now, config.toleranceSeconds);
      }

      const body = parseJsonObject(delivery.rawBody);
      const eventId = asText(valueAtPath(body, config.paths.eventId));
      if (!eventId) throw new SourceError('MISSING_FIELD', `${config.paths.eventId} (the event id) is missing`);
      const entityKey = config.paths.entityKey ? (asText(valueAtPath(body, config.paths.entityKey)) ?? null) : null;
      const type = (config.paths.type && asText(valueAtPath(body, config.paths.type))) || config.defaultType;
      const occurredAt = (config.paths.occurredAt && parseTime(valueAtPath(body, config.paths.occurredAt))) || now;
      const status = readStatus(config, body);
      return {
        providerEventId: eventId,
        entityKey,
        type,
        transactionStatus: status.known,
        occurredAt,
        payload: body,
        summary: withRawStatus(customSummary(config, body), status),
      };
    },
  };
}

/**
 * What the sender must send, for a refused delivery's message: the header, the MAC, what it
 * covers, its encoding and prefix. Never the secret nor the MAC webpig computed.
 */
export function customScheme(
  config: Pick<CustomSourceConfig, 'signatureHeader' | 'timestampHeader' | 'signaturePrefix' | 'signatureEncoding'>,
): string {
  const signed = config.timestampHeader ? `"<${config.timestampHeader}>.<raw body>"` : 'the raw body';
  const prefix = config.signaturePrefix ? ` after "${config.signaturePrefix}"` : '';
  return `expected ${config.signatureHeader}: ${config.signatureEncoding} HMAC-SHA256 of ${signed} with the source's secret${prefix}`;
}

function customSummary(config: CustomSourceConfig, body: JsonObject): EventSummary {
  const paths = config.summaryPaths;
  const text = (path: string | undefined) => (path ? asText(valueAtPath(body, path)) : undefined);
  const number = (path: string | undefined) => {
    const value = Number(text(path) ?? Number.NaN);
    return Number.isFinite(value) ? value : undefined;
  };
  const summary: EventSummary = {};
  const customer = compact({
    name: text(paths.customerName),
    email: text(paths.customerEmail),
    documentId: text(paths.customerDocumentId),
    phone: text(paths.customerPhone),
  });
  if (Object.keys(customer).length > 0) summary.customer = customer;
  const product: ProductSummary = compact({
    name: text(paths.product),
    id: text(paths.productId),
    category: text(paths.productCategory),
  });
  const price = number(paths.productPrice);
  if (price !== undefined) product.price = price;
  if (Object.keys(product).length > 0) summary.product = product;
  const amount = number(paths.amount);
  if (amount !== undefined) summary.amount = amount;
  const currency = text(paths.currency);
  if (currency) summary.currency = currency;
  const references = compact(Object.fromEntries(Object.entries(paths.references ?? {}).map(([name, path]) => [name, text(path)])));
  if (Object.keys(references).length > 0) summary.references = references as Record<string, string>;
  return summary;
}

interface ReadStatus {
  /** In webpig's terms; null when absent or when the sender's word is not known. */
  known: TransactionStatus | null;
  /** The sender's own word, kept when it was not one of webpig's. */
  raw: string | null;
}

/**
 * The sender's status in webpig's terms: its own word mapped by `statusMap` (exactly, then
 * ignoring case), else one of webpig's words. An unknown word never refuses the delivery (a
 * 400 is never retried, and a sender that says "paid" would lose its webhooks): the event is
 * stored with its status unknown and the word kept in the summary.
 */
function readStatus(config: CustomSourceConfig, body: JsonObject): ReadStatus {
  if (!config.paths.transactionStatus) return { known: null, raw: null };
  const value = asText(valueAtPath(body, config.paths.transactionStatus));
  if (value === undefined) return { known: null, raw: null };
  const mapped =
    config.statusMap[value] ?? Object.entries(config.statusMap).find(([word]) => word.toLowerCase() === value.toLowerCase())?.[1];
  const known = mapped ?? TRANSACTION_STATUSES.find((candidate) => candidate === value) ?? null;
  return { known, raw: known === value ? null : value.slice(0, 100) };
}

function withRawStatus(summary: EventSummary, status: ReadStatus): EventSummary {
  if (status.raw === null) return summary;
  return { ...summary, references: { ...summary.references, senderStatus: status.raw } };
}
