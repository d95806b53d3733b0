import type { JsonObject } from '../core/types.js';
import type { MercadopagoSourceConfig } from './config.js';
import {
  asText,
  decodeUtf8,
  hmacSha256,
  macMatches,
  parseFormFields,
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
 * MercadoPago webhooks: a JSON body `{ id, type, action, data: { id }, date_created }` and a
 * `x-signature: ts=…,v1=…` header, an HMAC-SHA256 over the manifest
 * `id:<data.id from the QUERY>;request-id:<x-request-id>;ts:<ts>;` with absent parts removed
 * (src/sources/README.md, MercadoPago). Only the id, request id and ts are signed — not the body — so the
 * body's `data.id` must equal the signed one, and the pipeline's first stage reads the payment
 * (or preapproval…) from the API rather than trusting anything else in the notification.
 *
 * Identity (dedupe key): signed parts only — `${data.id}:${x-request-id}`, or
 * `${data.id}:ts-${ts}` when there is no request id. The body's `id`, `type` and `action` are
 * not signed: in the key, one captured notification could be replayed as any number of "new"
 * events by changing them. So a replay is a duplicate, whatever its body says; the stored
 * event keeps the first delivery's type and action, which only describe it (processing reads
 * the resource from the API). Entity: `${type}:${data.id}`.
 *
 * Legacy IPN (`?topic=payment&id=…`, unsigned) is accepted only when the source is configured
 * with `verifyByFetching`; the event is marked `verification: "fetch"` in its payload and
 * its authenticity comes from the API read in the pipeline's first stage.
 */

export interface MercadopagoManifestParts {
  dataId?: string | undefined;
  requestId?: string | undefined;
  ts?: string | undefined;
}

/** The manifest MercadoPago signs; parts that are absent are left out. */
export function mercadopagoManifest(parts: MercadopagoManifestParts): string {
  let manifest = '';
  if (parts.dataId) manifest += `id:${parts.dataId};`;
  if (parts.requestId) manifest += `request-id:${parts.requestId};`;
  if (parts.ts) manifest += `ts:${parts.ts};`;
  return manifest;
}

export function createMercadopagoAdapter(config: MercadopagoSourceConfig): SourceAdapter {
  return {
    name: config.name,
    kind: 'mercadopago',
    acceptsGet: false,
    async verify(delivery: IncomingDelivery, now: Date): Promise<NormalizedDelivery> {
      const query = parseFormFields(decodeUtf8(Buffer.from(delivery.rawQuery), 'the query string'), 'the query string');
      // IPN may carry an x-signature header too, but it cannot be verified with the secret.
      if (isLegacyIpn(query)) return acceptLegacyIpn(config, delivery, query, now);
      const signature = singleHeader(delivery, 'x-signature');
      if (delivery.method !== 'POST') throw new SourceError('METHOD_NOT_ALLOWED', 'MercadoPago notifications are POSTed');
      requireMediaType(delivery, ['application/json']);
      if (signature === undefined || signature.trim() === '') {
        throw new SourceError('SIGNATURE_MISSING', `the x-signature header is missing: ${MERCADOPAGO_SCHEME}`);
      }
      const { ts, v1 } = parseSignatureHeader(signature);
      const requestId = singleHeader(delivery, 'x-request-id');
      const queryDataId = query['data.id'];
      if (!queryDataId) {
        // Without it the manifest names no resource, and the body's data.id (which the pipeline
        // reads) is unsigned: one captured signature would then fit any payment id.
        throw new SourceError(
          'SIGNATURE_INVALID',
          `data.id is missing from the URL's query, so no signature says which resource this is about: ${MERCADOPAGO_SCHEME}`,
        );
      }
      // The id as it was signed: with dataIdCase 'either', ids that differ only in case are one
      // id (MercadoPago signs it lower-cased), so case variants of one notification are one event.
      const dataId = verifyManifest(config, { dataId: queryDataId, requestId, ts }, v1);
      if (config.toleranceSeconds !== undefined) {
        requireWithinTolerance(parseUnixTimestamp(ts, 'ts in x-signature'), now, config.toleranceSeconds);
      }

      const body = parseJsonObject(delivery.rawBody);
      const bodyDataId = asText(valueAtPath(body, 'data.id'));
      // The pipeline reads the body's data.id (it is the payload): it must be the signed one.
      if (bodyDataId === undefined)
        throw new SourceError('MISSING_FIELD', 'data.id is missing from the body (it must be the signed data.id)');
      if (bodyDataId !== queryDataId && bodyDataId.toLowerCase() !== dataId) {
        // The body is not signed: a data.id that differs from the signed one is a tampered body.
        throw new SourceError('SIGNATURE_INVALID', 'data.id in the body differs from the signed data.id');
      }
      const type = asText(body.type) ?? query.type ?? query.topic;
      if (!type) throw new SourceError('MISSING_FIELD', 'type is missing');
      // The type names the topic and the action: MercadoPago's action is `payment.updated` for
      // payments but a bare `updated` or `created` for subscriptions, which alone says nothing.
      const bodyAction = asText(body.action);
      const action = !bodyAction ? `${type}.notification` : bodyAction.includes('.') ? bodyAction : `${type}.${bodyAction}`;
      const signedDelivery = requestId ? requestId : `ts-${ts}`;
      return {
        providerEventId: `${dataId}:${signedDelivery}`,
        entityKey: `${type}:${dataId}`,
        type: action,
        // The notification does not say; the first stage reads the resource to learn it.
        transactionStatus: null,
        occurredAt: parseTime(body.date_created) ?? now,
        payload: body,
        summary: { references: { mercadopagoId: queryDataId, ...(requestId ? { requestId } : {}) } },
      };
    },
  };
}

/** MercadoPago's scheme, for a refused notification's message (never the secret nor the computed value). */
const MERCADOPAGO_SCHEME =
  'expected x-signature: ts=<ts>,v1=<hex HMAC-SHA256 of "id:<data.id>;request-id:<x-request-id>;ts:<ts>;"> with the source\'s secret signature';

function parseSignatureHeader(header: string): { ts: string; v1: string[] } {
  let ts: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 'ts') ts = value;
    else if (key === 'v1') v1.push(value);
  }
  if (!ts || v1.length === 0) throw new SourceError('SIGNATURE_INVALID', `x-signature must hold ts=… and v1=…: ${MERCADOPAGO_SCHEME}`);
  return { ts, v1 };
}

/** Checks the signature; returns the data.id as it was signed (as received, or lower-cased). */
function verifyManifest(config: MercadopagoSourceConfig, parts: MercadopagoManifestParts & { dataId: string }, sent: string[]): string {
  if (config.secrets.length === 0) {
    throw new SourceError('SIGNATURE_INVALID', 'this source has no MercadoPago secret configured');
  }
  const ids = new Set<string>();
  if (config.dataIdCase !== 'lower') ids.add(parts.dataId);
  if (config.dataIdCase !== 'as-received') ids.add(parts.dataId.toLowerCase());
  for (const dataId of ids) {
    const manifest = mercadopagoManifest({ ...parts, dataId });
    for (const secret of config.secrets) {
      const expected = hmacSha256(secret, manifest);
      if (sent.some((candidate) => macMatches(expected, candidate, 'hex'))) return dataId;
    }
  }
  throw new SourceError('SIGNATURE_INVALID', `x-signature does not match: ${MERCADOPAGO_SCHEME}`);
}

function isLegacyIpn(query: Record<string, string>): boolean {
  return query.topic !== undefined && query.id !== undefined && query['data.id'] === undefined;
}

function acceptLegacyIpn(
  config: MercadopagoSourceConfig,
  delivery: IncomingDelivery,
  query: Record<string, string>,
  now: Date,
): NormalizedDelivery {
  if (!config.verifyByFetching) {
    throw new SourceError('SIGNATURE_MISSING', 'unsigned IPN notifications need verifyByFetching on this source');
  }
  const topic = query.topic as string;
  const id = query.id as string;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id) || !/^[a-z_]{1,64}$/.test(topic)) {
    throw new SourceError('MALFORMED_BODY', 'topic and id must be plain identifiers');
  }
  // An IPN carries no notification id. The request id tells retries apart when present;
  // otherwise notifications within one minute are one event — harmless, since processing
  // reads the resource's current state from the API anyway.
  const requestId = singleHeader(delivery, 'x-request-id');
  const distinct = requestId ?? `minute-${Math.floor(now.getTime() / 60_000)}`;
  const payload: JsonObject = { topic, id, verification: 'fetch', apiBaseUrl: config.verifyByFetching.apiBaseUrl };
  return {
    providerEventId: `ipn:${topic}:${id}:${distinct}`,
    entityKey: `${topic}:${id}`,
    type: `${topic}.ipn`,
    transactionStatus: null,
    occurredAt: now,
    payload,
    summary: { references: { mercadopagoId: id, verification: 'pending-fetch' } },
  };
}
