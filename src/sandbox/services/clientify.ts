import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { fieldsOf, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * Clientify CRM: upsert a contact by e-mail. The match is case-INSENSITIVE, as in the real
 * CRM; the seeds' original webhook failed at this step on a case-sensitivity error. An upsert
 * is naturally idempotent: the same data twice leaves one contact (`updates` counts them).
 *
 * Operations: `upsert_contact`.
 */
const contactBody = z.object({
  email: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$/, 'an e-mail address')
    .max(320),
  name: z.string().min(1).max(200),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'an E.164 phone number like +573001234567')
    .optional(),
  documentId: z.string().max(40).optional(),
  tags: z.array(z.string().max(100)).max(50).optional(),
});

export function registerClientify(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/clientify/contacts', async (request, reply) => {
    const body = parseInput(contactBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'clientify',
      operation: 'upsert_contact',
      effect: () => {
        const [existing] = ctx.store.findBy('clientify', 'contacts', 'email', body.email, { caseInsensitive: true });
        const fields: JsonObject = {
          name: body.name,
          phone: body.phone ?? null,
          documentId: body.documentId ?? null,
          tags: body.tags ?? [],
        };
        if (existing) {
          const data = fieldsOf(existing);
          const updates = typeof data.updates === 'number' ? data.updates + 1 : 1;
          // The e-mail as first stored is kept: the contact is the same person.
          const record = ctx.store.update('clientify', 'contacts', existing.id, { ...data, ...fields, updates });
          return { status: 200, body: { action: 'updated', contact: record } };
        }
        const record = ctx.store.insert('clientify', 'contacts', { email: body.email, ...fields, updates: 0 }, 789);
        return { status: 201, body: { action: 'created', contact: record } };
      },
    });
  });
}
