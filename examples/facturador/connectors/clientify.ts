import { z } from 'zod';
import { toE164 } from '../../../src/index.js';
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

/**
 * Clientify matches the e-mail case-insensitively, so an upsert never makes a second contact.
 * The phone goes in E.164; an unusable one is a permanent `PHONE_INVALID` error (a CRM contact
 * with a wrong number is worse than a stage that says so). (Default `phoneCountry`: 'CO')
 */
export async function upsertContact(
  endpoint: ServiceEndpoint,
  contact: Contact,
  io: StageIo,
  phoneCountry?: string,
): Promise<{ contactId: number; action: 'created' | 'updated' }> {
  const phone = toE164(contact.phone, phoneCountry);
  const { body } = await callService({
    service: 'Clientify',
    endpoint,
    method: 'POST',
    path: '/contacts',
    body: { ...contact, phone, tags: [...contact.tags] },
    io,
    schema: upsertSchema,
  });
  return { contactId: body.contact.id, action: body.action };
}
