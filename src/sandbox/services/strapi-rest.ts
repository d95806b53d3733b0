import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { JsonObject, JsonValue } from '../../core/types.js';
import type { SandboxRecord } from '../sandbox-store.js';

/**
 * Strapi v5's REST conventions, as the sandbox's Strapi serves them (https://docs.strapi.io/cms/api/rest,
 * https://docs.strapi.io/cms/api/rest/filters, https://docs.strapi.io/cms/error-handling):
 * - request bodies are `{ data: {...} }`; a body without `data` is refused with Strapi's own
 *   `ValidationError: Missing "data" payload in the request body`;
 * - a document is `{ id, documentId, ...fields, createdAt, updatedAt, publishedAt }` and is
 *   addressed by its `documentId` (a 24-character string) in URLs, not by the numeric id of v4
 *   (https://docs.strapi.io/cms/migration/v4-to-v5/breaking-changes/use-document-id);
 * - lists are `{ data: [...], meta: { pagination: { page, pageSize, pageCount, total } } }`;
 * - filters are qs-style query keys, `filters[<field>][$eq]=<value>`;
 * - errors are `{ data: null, error: { status, name, message, details } }`.
 */

/** One of Strapi's errors; the route answers it in Strapi's shape. */
export class StrapiError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: 'ValidationError' | 'NotFoundError',
    message: string,
    readonly details: JsonObject = {},
  ) {
    super(message);
  }
}

export function sendStrapiError(reply: FastifyReply, err: StrapiError): FastifyReply {
  return reply.status(err.status).send({
    data: null,
    error: { status: err.status, name: err.errorName, message: err.message, details: err.details },
  });
}

/** Strapi's answer to a path it has no document for (a v4 numeric id, say). */
export function strapiNotFound(): StrapiError {
  return new StrapiError(404, 'NotFoundError', 'Not Found');
}

/** Strapi's refusal of a query key or body field it does not know (its "Invalid key" ValidationError). */
export function invalidKey(key: string, source: 'query' | 'body'): StrapiError {
  return new StrapiError(400, 'ValidationError', `Invalid key ${key}`, { key, source });
}

/** A new documentId: 24 lowercase letters and digits, like Strapi 5's. */
export function newDocumentId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(24)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export interface ListQuery {
  /** Field → value of each `filters[<field>][$eq]` (or `filters[<field>]`, Strapi's shorthand). */
  filters: Record<string, string>;
  /** Components asked for with `populate` (`*` for all). */
  populate: Set<string>;
}

const FILTER_KEY = /^filters\[([A-Za-z_][A-Za-z0-9_]*)\](?:\[\$eq\])?$/;
const POPULATE_KEY = /^populate(?:\[\d+\])?$/;

/**
 * Reads the query of a list request. `filterable` are the content type's fields; anything else
 * (a filter on an unknown field, another operator, or a v4-era plain `?acuerdo=` parameter) is
 * refused with Strapi's "Invalid key" error. (A stock Strapi may instead ignore an unknown
 * top-level parameter and return every document: the sandbox refuses it so that a connector
 * that lost its filter fails loudly instead of picking someone else's record.)
 */
export function parseListQuery(query: unknown, filterable: readonly string[]): ListQuery {
  const result: ListQuery = { filters: {}, populate: new Set() };
  const entries = Object.entries((query ?? {}) as Record<string, string | string[]>);
  for (const [key, raw] of entries) {
    const value = Array.isArray(raw) ? (raw.at(-1) ?? '') : raw;
    const filter = FILTER_KEY.exec(key);
    if (filter) {
      const field = filter[1] as string;
      if (!filterable.includes(field)) throw invalidKey(field, 'query');
      result.filters[field] = value;
    } else if (POPULATE_KEY.test(key)) {
      for (const name of (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(','))) result.populate.add(name.trim());
    } else if (key !== 'pagination[page]' && key !== 'pagination[pageSize]') {
      throw invalidKey(key.replace(/^filters\[([^\]]*)\].*$/, '$1'), 'query');
    }
  }
  return result;
}

/**
 * The `data` of a create or update body, checked with `schema` (strict: an unknown field, such
 * as v4's `attributes` wrapper, is Strapi's "Invalid key").
 */
export function parseDataBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const data = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StrapiError(400, 'ValidationError', 'Missing "data" payload in the request body');
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const unknownKey = parsed.error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknownKey && 'keys' in unknownKey) throw invalidKey(String(unknownKey.keys[0]), 'body');
  const errors = parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message, name: 'ValidationError' }));
  const message = errors.length === 1 ? `${errors[0]?.path.join('.')}: ${errors[0]?.message}` : `${errors.length} errors occurred`;
  throw new StrapiError(400, 'ValidationError', message, { errors });
}

/** A stored record as Strapi 5 shows a document: flat, `documentId` beside `id`. */
export function toDocument(record: SandboxRecord, components: readonly string[], populate: Set<string>): JsonObject {
  const { id, createdAt, updatedAt, ...fields } = record;
  const document: JsonObject = { id, documentId: fields.documentId ?? null };
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'documentId') continue;
    // Components are not in a REST reply unless populated (https://docs.strapi.io/cms/api/rest/populate-select).
    if (components.includes(name)) {
      if (populate.has(name) || populate.has('*')) document[name] = withComponentIds(value);
      continue;
    }
    document[name] = value;
  }
  return { ...document, createdAt, updatedAt, publishedAt: updatedAt };
}

function withComponentIds(value: JsonValue | undefined): JsonValue {
  if (!Array.isArray(value)) return [];
  return value.map((entry, index) =>
    typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? { id: index + 1, ...entry } : entry,
  );
}

/** A list reply: every match on one page (the sandbox's collections are small). */
export function listReply(documents: JsonObject[]): JsonObject {
  const total = documents.length;
  return { data: documents, meta: { pagination: { page: 1, pageSize: Math.max(25, total), pageCount: total === 0 ? 0 : 1, total } } };
}
