import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idempotencyKeyOf, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * FRAPP: the memberships app. Creating a membership honours `Idempotency-Key` (same key, same
 * membership, no second one).
 *
 * Operations: `create_membership`.
 */
const membershipBody = z.object({
  email: z.string().min(3).max(320),
  documentId: z.string().min(1).max(40),
  name: z.string().max(200).optional(),
  plan: z.string().min(1).max(200),
  months: z.number().int().min(1).max(120),
  /** YYYY-MM-DD. (Default: today, UTC) */
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
    .optional(),
  reference: z.string().max(200).optional(),
});

export function registerFrapp(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/frapp/memberships', async (request, reply) => {
    const body = parseInput(membershipBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'frapp',
      operation: 'create_membership',
      idempotencyKey: idempotencyKeyOf(request),
      effect: () => {
        const startDate = body.startDate ?? ctx.now().toISOString().slice(0, 10);
        const record = ctx.store.insert(
          'frapp',
          'memberships',
          {
            email: body.email,
            documentId: body.documentId,
            name: body.name ?? null,
            plan: body.plan,
            startDate,
            expiryDate: addMonths(startDate, body.months),
            reference: body.reference ?? null,
            status: 'active',
          },
          12345,
        );
        return { status: 201, body: { ...record, membershipId: `MEMB-${record.id}` } };
      },
    });
  });
}

function addMonths(isoDate: string, months: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}
