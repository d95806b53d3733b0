import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idempotencyKeyOf, parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * Callbell: sends a WhatsApp message. Honours `Idempotency-Key`: the same key is one message.
 *
 * Operations: `send_message`.
 */
const messageBody = z.object({
  // Callbell and WhatsApp want the international number: a bare national one is refused.
  to: z.string().regex(/^\+[1-9]\d{7,14}$/, 'an E.164 phone number like +573001234567'),
  text: z.string().min(1).max(4096),
  channel: z.literal('whatsapp').optional(),
});

export function registerCallbell(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/callbell/messages', async (request, reply) => {
    const body = parseInput(messageBody, request.body);
    return runOperation(ctx, request, reply, {
      service: 'callbell',
      operation: 'send_message',
      idempotencyKey: idempotencyKeyOf(request),
      effect: () => {
        const record = ctx.store.insert('callbell', 'messages', {
          to: body.to,
          text: body.text,
          channel: 'whatsapp',
          status: 'sent',
        });
        return { status: 201, body: { ...record, uuid: `msg-${record.id}` } };
      },
    });
  });
}
