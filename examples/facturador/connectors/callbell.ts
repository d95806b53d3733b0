import { z } from 'zod';
import { toE164 } from '../../../src/index.js';
import type { ServiceEndpoint } from '../config.js';
import { callService, type StageIo } from './http.js';

const messageSchema = z.object({ uuid: z.string() });

/**
 * Callbell honours Idempotency-Key: a retry with the same key is the same message. The number
 * is sent in E.164; one that cannot be made E.164 is a permanent `PHONE_INVALID` error, never a
 * message to a wrong number. `phoneCountry` reads a number without a country code. (Default: 'CO')
 */
export async function sendWhatsApp(
  endpoint: ServiceEndpoint,
  message: { to: string; text: string },
  idempotencyKey: string,
  io: StageIo,
  phoneCountry?: string,
): Promise<{ messageId: string }> {
  const to = toE164(message.to, phoneCountry);
  const { body } = await callService({
    service: 'Callbell',
    endpoint,
    method: 'POST',
    path: '/messages',
    body: { to, text: message.text, channel: 'whatsapp' },
    idempotencyKey,
    io,
    schema: messageSchema,
  });
  return { messageId: body.uuid };
}
