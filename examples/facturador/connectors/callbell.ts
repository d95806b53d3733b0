import { z } from 'zod';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

const messageSchema = z.object({ uuid: z.string() });

/** Callbell honours Idempotency-Key: a retry with the same key is the same message. */
export async function sendWhatsApp(
  endpoint: ServiceEndpoint,
  message: { to: string; text: string },
  idempotencyKey: string,
  io: StageIo,
): Promise<{ messageId: string }> {
  const { body } = await callService({
    service: 'Callbell',
    endpoint,
    method: 'POST',
    path: '/messages',
    body: { ...message, channel: 'whatsapp' },
    idempotencyKey,
    io,
    schema: messageSchema,
  });
  return { messageId: body.uuid };
}
