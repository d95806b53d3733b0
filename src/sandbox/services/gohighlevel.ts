import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { HttpError } from '../../core/http-errors.js';
import { fieldsOf, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * GoHighLevel (LeadConnector API v2), the CRM of the seeds' retry guide ("Agrega tags en
 * GoHighLevel"), with its real request shapes:
 *   POST /contacts/upsert        {locationId, email, firstName?, lastName?, phone?}
 *        → {new, contact}: one contact per (location, e-mail), matched case-insensitively.
 *   POST /contacts/:id/tags      {tags: [...]} → {tags}: the contact's tags are a set, so the
 *        same tag twice is kept once (`tagRequests` counts the calls).
 *   GET  /contacts/:id           → {contact}
 * Every call needs `Authorization: Bearer <token>` (401) and the `Version` header (400), as the
 * real API does.
 *
 * Operations: `upsert_contact`, `add_tags`.
 */
const upsertBody = z.object({
  locationId: z.string().min(1).max(64),
  email: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$/, 'an e-mail address')
    .max(320),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  phone: z.string().max(40).optional(),
});
const tagsBody = z.object({ tags: z.array(z.string().min(1).max(100)).min(1).max(50) });

function requireApiHeaders(request: FastifyRequest): void {
  const auth = request.headers.authorization;
  if (typeof auth !== 'string' || !/^Bearer \S+$/.test(auth)) {
    throw new HttpError(401, 'UNAUTHORIZED', 'GoHighLevel needs Authorization: Bearer <token>');
  }
  if (typeof request.headers.version !== 'string' || request.headers.version === '') {
    throw new HttpError(400, 'VERSION_REQUIRED', 'GoHighLevel needs the Version header (e.g. 2021-07-28)');
  }
}

function contactId(text: string): number {
  const id = /^ghl-(\d+)$/.exec(text)?.[1];
  if (!id) throw new HttpError(404, 'CONTACT_NOT_FOUND', `no contact ${text}`);
  return Number(id);
}

/** The contact as the API shows it: ids are strings (`ghl-<n>` here). */
function view(record: JsonObject & { id: number }): JsonObject {
  return { ...record, id: `ghl-${record.id}` };
}

export function registerGoHighLevel(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/gohighlevel/contacts/upsert', async (request, reply) => {
    requireApiHeaders(request);
    const body = parseInput(upsertBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'gohighlevel',
      operation: 'upsert_contact',
      effect: () => {
        const existing = ctx.store
          .findBy('gohighlevel', 'contacts', 'email', body.email, { caseInsensitive: true })
          .find((c) => fieldsOf(c).locationId === body.locationId);
        const fields: JsonObject = { firstName: body.firstName ?? null, lastName: body.lastName ?? null, phone: body.phone ?? null };
        if (existing) {
          const record = ctx.store.update('gohighlevel', 'contacts', existing.id, { ...fieldsOf(existing), ...fields });
          return { status: 200, body: { new: false, contact: view(record) } };
        }
        const record = ctx.store.insert('gohighlevel', 'contacts', {
          locationId: body.locationId,
          email: body.email,
          ...fields,
          tags: [],
          tagRequests: 0,
        });
        return { status: 201, body: { new: true, contact: view(record) } };
      },
    });
  });

  app.post<{ Params: { id: string } }>('/gohighlevel/contacts/:id/tags', async (request, reply) => {
    requireApiHeaders(request);
    const body = parseInput(tagsBody, request.body);
    const id = contactId(request.params.id);
    return runOperation(ctx, request, reply, {
      service: 'gohighlevel',
      operation: 'add_tags',
      effect: () => {
        const contact = ctx.store.get('gohighlevel', 'contacts', id);
        if (!contact) throw new HttpError(404, 'CONTACT_NOT_FOUND', `no contact ${request.params.id}`);
        const data = fieldsOf(contact);
        const tags = [...new Set([...(Array.isArray(data.tags) ? (data.tags as string[]) : []), ...body.tags])];
        const tagRequests = (typeof data.tagRequests === 'number' ? data.tagRequests : 0) + 1;
        ctx.store.update('gohighlevel', 'contacts', id, { ...data, tags, tagRequests });
        return { status: 201, body: { tags } };
      },
    });
  });

  app.get<{ Params: { id: string } }>('/gohighlevel/contacts/:id', async (request) => {
    requireApiHeaders(request);
    const contact = ctx.store.get('gohighlevel', 'contacts', contactId(request.params.id));
    if (!contact) throw new HttpError(404, 'CONTACT_NOT_FOUND', `no contact ${request.params.id}`);
    return { contact: view(contact) };
  });
}
