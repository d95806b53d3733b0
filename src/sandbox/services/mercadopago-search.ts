import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonObject } from '../../core/types.js';
import { parseInput, runOperation, type SandboxContext } from '../operation.js';

/**
 * MercadoPago's searches, as webpig's reconciliation reads them: `GET /mercadopago/v1/payments/search`
 * and `GET /mercadopago/preapproval/search`, with `range=date_created|date_last_updated` (the
 * field `begin_date` and `end_date` bound, ISO 8601), `sort`, `criteria=asc|desc`, `limit` (default 30, at most 1000) and
 * `offset`, answering `{ paging: { total, limit, offset }, results }`. They list what
 * `POST /mercadopago/payments` and `/preapprovals` made (`date_created`: the object's own, else
 * when the sandbox stored it; `date_last_updated`: the object's own until a POST changes it,
 * then when it did). Operations: `search_payments`, `search_preapprovals`.
 */
const searchQuery = z.object({
  range: z.enum(['date_created', 'date_last_updated']).default('date_created'),
  begin_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.union([z.iso.datetime({ offset: true }), z.literal('NOW')]).optional(),
  sort: z.enum(['date_created', 'date_last_updated']).optional(),
  criteria: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(30),
  offset: z.coerce.number().int().min(0).default(0),
});

export function registerMercadoPagoSearch(app: FastifyInstance, ctx: SandboxContext): void {
  for (const [collection, path, operation, numeric] of [
    ['payments', '/mercadopago/v1/payments/search', 'search_payments', true],
    ['preapprovals', '/mercadopago/preapproval/search', 'search_preapprovals', false],
  ] as const) {
    app.get(path, async (request, reply) => {
      const query = parseInput(searchQuery, request.query, 'query');
      return runOperation(ctx, request, reply, {
        service: 'mercadopago',
        operation,
        effect: () => {
          const begin = query.begin_date ? Date.parse(query.begin_date) : -Infinity;
          const sortField = query.sort ?? query.range;
          const end = query.end_date && query.end_date !== 'NOW' ? Date.parse(query.end_date) : Infinity;
          const results = ctx.store
            .list('mercadopago', collection)
            .map(({ createdAt, updatedAt, objectId, id: _rowId, ...data }) => {
              const created = typeof data.date_created === 'string' ? data.date_created : createdAt;
              // A POST with a known id is a change (approved, then refunded): it moves date_last_updated.
              const updated = typeof data.date_last_updated === 'string' && updatedAt === createdAt ? data.date_last_updated : updatedAt;
              const id = numeric && /^\d+$/.test(String(objectId)) ? Number(objectId) : String(objectId);
              return { ...data, id, date_created: created, date_last_updated: updated } as JsonObject & Record<typeof query.range, string>;
            })
            .filter((item) => Date.parse(item[query.range]) >= begin && Date.parse(item[query.range]) <= end)
            .sort((a, b) => (Date.parse(a[sortField]) - Date.parse(b[sortField])) * (query.criteria === 'asc' ? 1 : -1));
          return {
            status: 200,
            body: {
              paging: { total: results.length, limit: query.limit, offset: query.offset },
              results: results.slice(query.offset, query.offset + query.limit),
            },
          };
        },
      });
    });
  }
}
