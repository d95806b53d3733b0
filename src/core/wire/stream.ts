import { z } from 'zod';
import { checkpointStatus, eventStatus } from './common.js';

/**
 * GET /api/stream's messages (src/server/sse.ts), each sent as `event: <type>` with `data: <JSON>`:
 * an event's new status, or a checkpoint's.
 */
export const changeMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), data: z.object({ id: z.number().int(), status: eventStatus }) }),
  z.object({ type: z.literal('checkpoint'), data: z.object({ eventId: z.number().int(), stage: z.string(), status: checkpointStatus }) }),
]);
export const changeMessages = z.array(changeMessage).describe('A stream of `event: <type>\\ndata: <JSON data>\\n\\n` messages');
