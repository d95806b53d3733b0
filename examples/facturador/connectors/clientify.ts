import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

const upsertSchema = z.object({
  action: z.enum(['created', 'updated']),
  contact: z.object({ id: z.number() }),
});

export interface Contact {
  email: string;
  name: string;
  phone: string;
  documentId: string;
  tags: string[];
}

/** Clientify matches the e-mail case-insensitively, so an upsert never makes a second contact. */
export async function upsertContact(
  endpoint: ServiceEndpoint,
  contact: Contact,
  io: StageIo,
): Promise<{ contactId: number; action: 'created' | 'updated' }> {
  const { body } = await callService({
    service: 'Clientify',
    endpoint,
    method: 'POST',
    path: '/contacts',
    body: { ...contact, tags: [...contact.tags] },
    io,
    schema: upsertSchema,
  });
  return { contactId: body.contact.id, action: body.action };
}
