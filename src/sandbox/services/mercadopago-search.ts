import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import type { SandboxStore } from '../sandbox-store.js';
import { parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * MercadoPago's searches, as webpig's reconciliation reads them, answering
 * `{ paging: { total, limit, offset }, results }` with `limit` (at most 1000) and `offset`:
 * - `GET /mercadopago/v1/payments/search`, with `range=date_created|date_last_updated` (the
 *   field `begin_date` and `end_date` bound, ISO 8601), `sort`, `criteria=asc|desc` (limit 30
 *   by default). A payment's `date_created` is its own, else when the sandbox stored it;
 *   `date_last_updated` its own until a POST changes it, then when it did (a subscription's
 *   `last_modified` the same way).
 * - `GET /mercadopago/preapproval/search`, with what MercadoPago documents for it: `status`,
 *   `payer_email`, `preapproval_plan_id` (limit 20 by default), newest first; no date filter:
 *   `range`, `begin_date` and any other parameter are ignored, as an API ignores what it does
 *   not know. A subscription has `date_created` and `last_modified` (MercadoPago's names).
 * They list what `POST /mercadopago/payments` and `/preapprovals` made. Operations:
 * `search_payments`, `search_preapprovals`.
 */
const paymentsQuery = z.object({
  range: z.enum(['date_created', 'date_last_updated']).default('date_created'),
  begin_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.union([z.iso.datetime({ offset: true }), z.literal('NOW')]).optional(),
  sort: z.enum(['date_created', 'date_last_updated']).optional(),
  criteria: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(30),
  offset: z.coerce.number().int().min(0).default(0),
});

const preapprovalsQuery = z.object({
  status: z.string().optional(),
  payer_email: z.string().optional(),
  preapproval_plan_id: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

interface Listed {
  data: JsonObject;
  created: string;
  updated: string;
}

/**
 * The stored objects with their dates: the object's own `date_created`, else when it was stored;
 * its own last change (a payment's `date_last_updated`, a subscription's `last_modified`) until a
 * POST changes it, then when it did.
 */
function listed(store: SandboxStore, collection: 'payments' | 'preapprovals'): Listed[] {
  const changedField = collection === 'payments' ? 'date_last_updated' : 'last_modified';
  return store.list('mercadopago', collection).map(({ createdAt, updatedAt, objectId, id: _rowId, ...rest }) => {
    const id = collection === 'payments' && /^\d+$/.test(String(objectId)) ? Number(objectId) : String(objectId);
    const data: JsonObject = { ...(rest as JsonObject), id };
    const created = typeof data.date_created === 'string' ? data.date_created : createdAt;
    // A POST with a known id is a change (approved, then refunded): it moves the last update.
    const own = data[changedField];
    const updated = typeof own === 'string' && updatedAt === createdAt ? own : updatedAt;
    return { data, created, updated };
  });
}

function page(results: JsonObject[], limit: number, offset: number) {
  return { status: 200, body: { paging: { total: results.length, limit, offset }, results: results.slice(offset, offset + limit) } };
}

export function registerMercadoPagoSearch(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/mercadopago/v1/payments/search', async (request, reply) => {
    const query = parseInput(paymentsQuery, request.query, 'query');
    return runOperation(ctx, request, reply, {
      service: 'mercadopago',
      operation: 'search_payments',
      effect: () => {
        const begin = query.begin_date ? Date.parse(query.begin_date) : -Infinity;
        const end = query.end_date && query.end_date !== 'NOW' ? Date.parse(query.end_date) : Infinity;
        const at = (item: Listed, field: 'date_created' | 'date_last_updated') =>
          Date.parse(field === 'date_created' ? item.created : item.updated);
        const sortField = query.sort ?? query.range;
        const results = listed(ctx.store, 'payments')
          .filter((item) => at(item, query.range) >= begin && at(item, query.range) <= end)
          .sort((a, b) => (at(a, sortField) - at(b, sortField)) * (query.criteria === 'asc' ? 1 : -1))
          .map((item) => ({ ...item.data, date_created: item.created, date_last_updated: item.updated }));
        return page(results, query.limit, query.offset);
      },
    });
  });

  app.get('/mercadopago/preapproval/search', async (request, reply) => {
    const query = parseInput(preapprovalsQuery, request.query, 'query');
    return runOperation(ctx, request, reply, {
      service: 'mercadopago',
      operation: 'search_preapprovals',
      effect: () => {
        const matchOn = { status: query.status, payer_email: query.payer_email, preapproval_plan_id: query.preapproval_plan_id };
        const results = listed(ctx.store, 'preapprovals')
          .filter((item) => Object.entries(matchOn).every(([field, wanted]) => wanted === undefined || item.data[field] === wanted))
          .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
          .map(({ data, created, updated }) => ({
            ...data,
            date_created: created,
            last_modified: updated,
          }));
        return page(results, query.limit, query.offset);
      },
    });
  });
}
