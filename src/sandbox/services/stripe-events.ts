import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { HttpError } from '../../core/http-errors.js';
import { parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * Stripe's account event list, `GET /stripe/v1/events`, as webpig's reconciliation reads it:
 * `{ object: 'list', url, has_more, data }`, newest first, `limit` (1–100, default 10),
 * events of the last 30 days only, as Stripe keeps them,
 * `starting_after` / `ending_before` (an event id of the list), `created[gte|gt|lte|lt]` (unix
 * seconds), `type` (one name, `*` a wildcard), `types[]` (up to 20 exact names: Stripe's
 * reference gives the wildcard to `type` only; not both) and `delivery_success`. Tests add events with `POST /stripe/events`
 * and a Stripe event object: the event is listed, and not delivered anywhere
 * (`delivery_success=false` lists it). The demo's traffic, which plays Stripe, registers each
 * event with `?deliver=true` before sending its webhook: the reply's `sandbox.deliver` says
 * whether to send it — false when a `deliver_webhook` fault was pending ("webhook lost": the
 * event is listed as not delivered and its webhook never sent). Operations (for faults):
 * `list_events`, `deliver_webhook`.
 */
const eventBody = z
  .object({
    id: z
      .string()
      .regex(/^evt_[A-Za-z0-9_]{1,250}$/, 'a Stripe event id starts with evt_')
      .optional(),
    type: z.string().min(1).max(255),
    created: z.number().int().positive().optional(),
    data: z.object({ object: z.record(z.string(), z.unknown()) }),
  })
  .catchall(z.unknown());

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().min(1).optional(),
  ending_before: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  delivery_success: z.enum(['true', 'false']).optional(),
  'created[gte]': z.coerce.number().int().optional(),
  'created[gt]': z.coerce.number().int().optional(),
  'created[lte]': z.coerce.number().int().optional(),
  'created[lt]': z.coerce.number().int().optional(),
});

/** Stripe's `GET /v1/events` goes "back up to 30 days" (its API reference). */
const KEPT_SECONDS = 30 * 86_400;

interface StoredEvent {
  event: JsonObject & { id: string; type: string; created: number };
  delivered: boolean;
  seq: number;
}

export function registerStripeEvents(app: FastifyInstance, ctx: SandboxContext): void {
  app.post<{ Querystring: { deliver?: string } }>('/stripe/events', async (request, reply) => {
    const body = parseInput(eventBody, request.body);
    const event = {
      object: 'event',
      api_version: '2025-07-30.basil',
      // A live account's events, as the demo's sources expect (a test event is no payment there).
      livemode: true,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      ...(JSON.parse(JSON.stringify(body)) as JsonObject),
      id: body.id ?? `evt_${randomBytes(12).toString('hex')}`,
      created: body.created ?? Math.floor(ctx.now().getTime() / 1000),
    };
    // Any pending deliver_webhook fault, whatever its mode, loses this event's webhook.
    const delivered = request.query.deliver === 'true' && ctx.store.takeFault('stripe', 'deliver_webhook') === undefined;
    const record = ctx.store.insert('stripe', 'events', { event, delivered, eventId: event.id });
    return reply.status(201).send({ ...event, sandbox: { id: record.id, deliver: delivered } });
  });

  app.get('/stripe/v1/events', async (request, reply) => {
    const query = parseInput(listQuery, request.query, 'query');
    const types = typesOf(request.query);
    if (query.type !== undefined && types.length > 0) {
      throw new HttpError(400, 'INVALID_REQUEST', 'You may pass either type or types, but not both');
    }
    return runOperation(ctx, request, reply, {
      service: 'stripe',
      operation: 'list_events',
      effect: () => {
        const matching = storedEvents(ctx)
          .filter(({ event, delivered }) => {
            // Stripe lists the events of the last 30 days only.
            if (event.created < Math.floor(ctx.now().getTime() / 1000) - KEPT_SECONDS) return false;
            if (query.type !== undefined && !typeMatches(query.type, event.type)) return false;
            // `types[]` holds exact event names (Stripe's reference): a `*` there is no wildcard.
            if (types.length > 0 && !types.includes(event.type)) return false;
            if (query.delivery_success !== undefined && String(delivered) !== query.delivery_success) return false;
            const c = event.created;
            const q = query;
            return !(
              (q['created[gte]'] !== undefined && c < q['created[gte]']) ||
              (q['created[gt]'] !== undefined && c <= q['created[gt]']) ||
              (q['created[lte]'] !== undefined && c > q['created[lte]']) ||
              (q['created[lt]'] !== undefined && c >= q['created[lt]'])
            );
          })
          // Newest first, as Stripe lists; events of one second keep their insertion order reversed.
          .sort((a, b) => b.event.created - a.event.created || b.seq - a.seq);
        const page = pageOf(matching, query);
        return {
          status: 200,
          body: { object: 'list', url: '/v1/events', has_more: page.hasMore, data: page.items.map((s) => s.event) },
        };
      },
    });
  });
}

function storedEvents(ctx: SandboxContext): StoredEvent[] {
  return ctx.store.list('stripe', 'events').map((record) => ({
    event: record.event as StoredEvent['event'],
    delivered: record.delivered === true,
    seq: record.id,
  }));
}

/** `types[0]=…&types[1]=…` (how stripe-node encodes arrays) or `types[]=…`. */
function typesOf(query: unknown): string[] {
  if (query === null || typeof query !== 'object') return [];
  const types: string[] = [];
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (!/^types\[\d*\]$/.test(key)) continue;
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string') types.push(item);
  }
  return types;
}

/** Stripe's `type` filter takes `*` as a wildcard (`payment_intent.*`); its `types[]` does not. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(type);
}

function pageOf(
  matching: StoredEvent[],
  query: { limit: number; starting_after?: string | undefined; ending_before?: string | undefined },
): { items: StoredEvent[]; hasMore: boolean } {
  const indexOf = (id: string, param: string) => {
    const index = matching.findIndex((s) => s.event.id === id);
    if (index < 0) throw new HttpError(400, 'INVALID_REQUEST', `${param}: no such event in this list: ${id}`);
    return index;
  };
  if (query.starting_after !== undefined) {
    const from = indexOf(query.starting_after, 'starting_after') + 1;
    return { items: matching.slice(from, from + query.limit), hasMore: matching.length > from + query.limit };
  }
  if (query.ending_before !== undefined) {
    const to = indexOf(query.ending_before, 'ending_before');
    return { items: matching.slice(Math.max(0, to - query.limit), to), hasMore: to - query.limit > 0 };
  }
  return { items: matching.slice(0, query.limit), hasMore: matching.length > query.limit };
}
