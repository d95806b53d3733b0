import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

const membershipSchema = z.object({
  id: z.number(),
  membershipId: z.string(),
  plan: z.string(),
  startDate: z.string(),
  expiryDate: z.string(),
});
export type Membership = z.infer<typeof membershipSchema>;

export interface NewMembership {
  email: string;
  documentId: string;
  name: string;
  plan: string;
  months: number;
  reference: string;
}

/** FRAPP honours Idempotency-Key: a retry with the same key returns the same membership. */
export async function createMembership(
  endpoint: ServiceEndpoint,
  membership: NewMembership,
  idempotencyKey: string,
  io: StageIo,
): Promise<Membership> {
  const { body } = await callService({
    service: 'FRAPP',
    endpoint,
    method: 'POST',
    path: '/memberships',
    body: { ...membership },
    idempotencyKey,
    io,
    schema: membershipSchema,
  });
  return body;
}
