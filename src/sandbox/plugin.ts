import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JsonValue } from '../core/types.js';
import { HttpError, installErrorHandler } from '../core/http-errors.js';
import { HangingRequests, parseInput, type SandboxContext } from './operation.js';
import { RequestLog } from './request-log.js';
import { FAULT_MODES, SANDBOX_SERVICES, type SandboxService, type SandboxStore } from './sandbox-store.js';
import { registerCallbell } from './services/callbell.js';
import { registerClientify } from './services/clientify.js';
import { registerEpayco } from './services/epayco.js';
import { registerFr360 } from './services/fr360.js';
import { registerFrapp } from './services/frapp.js';
import { registerGoHighLevel } from './services/gohighlevel.js';
import { registerMercadoPago } from './services/mercadopago.js';
import { registerStrapi } from './services/strapi.js';
import { registerStripe } from './services/stripe.js';
import { registerStripeEvents } from './services/stripe-events.js';
import { registerMercadoPagoSearch } from './services/mercadopago-search.js';
import { registerWorldOffice } from './services/worldoffice.js';

export interface SandboxPluginOptions {
  store: SandboxStore;
  /** Longest a `timeout` fault holds a request when the client never gives up. (Default: 120_000 ms) */
  maxHangMs?: number;
  /** Clock for the dates the services write. (Default: the system clock) */
  now?: () => Date;
  /** How many of the services' last requests `GET /sandbox/_requests` keeps. (Default: 500) */
  requestLogSize?: number;
}

/** Collections each service lists at `GET /sandbox/<service>/<collection>`. */
export const SANDBOX_COLLECTIONS: Readonly<Record<SandboxService, readonly string[]>> = {
  fr360: ['queries'],
  frapp: ['memberships'],
  clientify: ['contacts'],
  worldoffice: ['customers', 'invoices', 'accountings', 'emissions'],
  strapi: ['carteras', 'facturacions'],
  callbell: ['messages'],
  epayco: ['transactions'],
  mercadopago: ['payments', 'preapprovals', 'authorized_payments'],
  stripe: ['payment_intents', 'checkout_sessions'],
  gohighlevel: ['contacts'],
};

const faultBody = z.object({
  service: z.enum(SANDBOX_SERVICES as [SandboxService, ...SandboxService[]]),
  operation: z.string().regex(/^[a-z_]{1,60}$/, 'an operation name like create_invoice'),
  mode: z.enum(FAULT_MODES as ['error', 'timeout', 'effect-then-fail']),
  count: z.number().int().min(1).max(1000).default(1),
  status: z.number().int().min(400).max(599).optional(),
});

/**
 * The simulated external systems, mounted under `/sandbox` (register WITHOUT a prefix:
 * `app.register(sandboxPlugin, { store })`). The plugin is encapsulated: its error handler
 * (the project's, from src/core/http-errors.ts) applies only to its own routes.
 */
export async function sandboxPlugin(app: FastifyInstance, options: SandboxPluginOptions): Promise<void> {
  const hangs = new HangingRequests(options.maxHangMs ?? 120_000);
  const ctx: SandboxContext = { store: options.store, hangs, now: options.now ?? (() => new Date()) };
  const requests = new RequestLog(options.requestLogSize ?? 500);
  // Requests held by `timeout` faults must not keep the server from closing.
  app.addHook('preClose', async () => hangs.releaseAll());
  await app.register(
    async (sandbox) => {
      installErrorHandler(sandbox);
      registerRequestLog(sandbox, requests);
      registerFaultRoutes(sandbox, ctx);
      registerFr360(sandbox, ctx);
      registerFrapp(sandbox, ctx);
      registerClientify(sandbox, ctx);
      registerWorldOffice(sandbox, ctx);
      registerStrapi(sandbox, ctx);
      registerCallbell(sandbox, ctx);
      registerEpayco(sandbox, ctx);
      registerMercadoPago(sandbox, ctx);
      registerStripe(sandbox, ctx);
      registerStripeEvents(sandbox, ctx);
      registerMercadoPagoSearch(sandbox, ctx);
      registerGoHighLevel(sandbox, ctx);
      registerCollectionRoutes(sandbox, ctx);
    },
    { prefix: '/sandbox' },
  );
}

const requestsQuery = z.object({ service: z.string().max(40).optional() });

/**
 * Records what each service is sent (after parsing, so with its body) and serves it:
 * `GET /sandbox/_requests?service=strapi` → `{ items: [{ service, method, url, body }] }`, oldest
 * first; `DELETE /sandbox/_requests` → `{ cleared }`.
 */
function registerRequestLog(app: FastifyInstance, requests: RequestLog): void {
  app.addHook('preHandler', async (request) => {
    const service = /^\/sandbox\/([^/?]+)/.exec(request.url)?.[1];
    if (service === undefined || service.startsWith('_')) return;
    requests.record({ service, method: request.method, url: request.url, body: (request.body ?? null) as JsonValue });
  });
  app.get('/_requests', async (request) => ({ items: requests.list(parseInput(requestsQuery, request.query, 'query').service) }));
  app.delete('/_requests', async () => ({ cleared: requests.clear() }));
}

function registerFaultRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/_faults', async (request, reply) => {
    const spec = parseInput(faultBody, request.body);
    if (spec.mode === 'timeout' && spec.status !== undefined) {
      throw new HttpError(400, 'INVALID_REQUEST', 'invalid body: status: a timeout fault never replies, so it takes no status');
    }
    return reply.status(201).send(ctx.store.addFault(spec));
  });
  app.get('/_faults', async () => ({ items: ctx.store.listFaults() }));
  app.delete('/_faults', async () => ({ cleared: ctx.store.clearFaults() }));
}

/** `GET /sandbox/<service>/<collection>`: every record, oldest first (no query: see below). */
function registerCollectionRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get<{ Params: { service: string; collection: string } }>('/:service/:collection', async (request) => {
    const { service, collection } = request.params;
    const known = SANDBOX_COLLECTIONS[service as SandboxService] as readonly string[] | undefined;
    if (!known) throw new HttpError(404, 'NOT_FOUND', `no sandbox service "${service}"`);
    if (!known.includes(collection)) {
      throw new HttpError(404, 'NOT_FOUND', `sandbox service ${service} has no collection "${collection}" (it has: ${known.join(', ')})`);
    }
    // A query here is a connector pointed at the listing instead of the service's API (say, an
    // old Strapi base URL without `/api`): refused, rather than answered with every record.
    if (Object.keys((request.query ?? {}) as object).length > 0) {
      const api = service === 'strapi' ? ` (Strapi's REST API is under /sandbox/strapi/api)` : '';
      throw new HttpError(400, 'INVALID_REQUEST', `GET /sandbox/${service}/${collection} lists every record and takes no query${api}`);
    }
    return ctx.store.list(service as SandboxService, collection);
  });
}
