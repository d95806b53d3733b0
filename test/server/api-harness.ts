import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { definePipeline } from '../../src/core/pipeline.js';
import type { FlagConfig, WebpigConfig } from '../../src/config/types.js';
import type { CheckpointStatus, EventRecord, EventSummary, JsonValue } from '../../src/core/types.js';
import type { Store, StageOutcome } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { apiPlugin, type ConfiguredSource } from '../../src/server/api/plugin.js';
import { parseAuthConfig } from '../../src/config/auth.js';
import type { AuthConfig, ResolvedAuthConfig } from '../../src/server/auth/config.js';
import { rolesFor } from '../../src/server/auth/principal.js';
import { createApiToken } from '../../src/server/auth/tokens.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';

/**
 * An API server on a real SQLite store, for the API and auth tests: the seeds' Facturador
 * pipeline, their FLAG_PERMISSIONS, people in roles, and helpers to sign in (a session row
 * written through the store, exactly what /auth/callback writes) or mint API tokens.
 */

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const at = (offsetMs: number): Date => new Date(T0 + offsetMs);
export const MINUTE = 60_000;

export const PEOPLE = {
  admin: 'admin1@sentiretaller.com',
  finance: 'finance1@sentiretaller.com',
  operator: 'ops@sentiretaller.com',
  viewer: 'someone@sentiretaller.com',
} as const;

export const AUTH: AuthConfig = {
  allowedDomains: ['sentiretaller.com'],
  roles: {
    admin: { members: [PEOPLE.admin] },
    operator: { members: [PEOPLE.operator] },
    finance: { members: [PEOPLE.finance], scopes: ['events:read'] },
  },
  defaultRole: 'viewer',
};

/** The seeds' FLAG_PERMISSIONS. */
export const FLAGS: FlagConfig[] = [
  { key: 'MEMBERSHIPS_ENABLED', description: 'Create FRAPP memberships', allowed: [PEOPLE.admin] },
  { key: 'WORLDOFFICE_INVOICE_ENABLED', description: 'Invoices in WorldOffice', allowed: [PEOPLE.admin, PEOPLE.finance] },
  { key: 'WORLDOFFICE_DIAN_ENABLED', description: 'DIAN emission', allowed: [PEOPLE.admin, PEOPLE.finance, 'token:erp-bot'] },
  // Texts by language: the store keeps the Spanish, the API gives both for the page to choose.
  { key: 'CRM_ENABLED', description: { es: 'CRM de Clientify', en: 'Clientify CRM' }, default: false },
];

const noop = async () => null;
export const PIPELINE = definePipeline({
  name: 'facturador',
  match: () => true,
  stages: [
    { name: 'invoice_extraction', label: { es: 'Lectura de la factura', en: 'Invoice look-up' }, run: noop },
    { name: 'membership_creation', column: 'FRAPP', flag: 'MEMBERSHIPS_ENABLED', run: noop },
    { name: 'crm_upsert', column: 'CRM', retry: { delaysMs: [0, 60_000] }, run: noop },
    { name: 'worldoffice_invoice_creation', column: 'Factura', run: noop },
    { name: 'worldoffice_invoice_accounting', column: 'Factura', run: noop },
    { name: 'worldoffice_dian_emission', column: 'DIAN', run: noop },
  ],
});

export const COLUMNS = [
  { key: 'FRAPP', label: 'FRAPP' },
  { key: 'CRM', label: 'CRM' },
  { key: 'Factura', label: 'Factura' },
  { key: 'DIAN', label: 'DIAN' },
];

export interface Caller {
  headers: Record<string, string>;
}

export interface Harness {
  app: FastifyInstance;
  store: Store;
  auth: ResolvedAuthConfig;
  /** The API's clock; tests move it. */
  clock: { now: Date };
  session(email: string): Promise<Caller & { csrfToken: string }>;
  token(scopes: string[], name?: string): Promise<Caller & { token: string }>;
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, caller?: Caller, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode?: 'production' | 'demo';
  /** A function receives the server's base URL (for OIDC redirect URIs). (Default: AUTH) */
  auth?: AuthConfig | ((baseUrl: string) => Promise<AuthConfig> | AuthConfig);
  publicUrl?: string;
  streamPollMs?: number;
  /** Listen on 127.0.0.1:0 (for SSE and OIDC tests). */
  listen?: boolean;
  /** The `dashboard` section of webpig.config.ts. */
  dashboard?: WebpigConfig['dashboard'];
  /** The configured webhook sources' names and kinds, as composeServer passes them. (Default: not told, so not checked) */
  sources?: ConfiguredSource[];
  /** A store to use instead of a fresh SQLite file (it is migrated and closed by the harness). */
  openStore?: () => Promise<Store>;
}

export async function startApi(options: HarnessOptions = {}): Promise<Harness & { baseUrl: string }> {
  const { dir, remove } = tempDatabaseDir('webpig-api-');
  const store = options.openStore ? await options.openStore() : SqliteStore.open(`sqlite:${join(dir, 'api.db')}`);
  await store.migrate();
  const clock = { now: at(0) };
  // Listening first, so the base URL is known before the plugin (and its OIDC client) exists.
  let server: Server | null = null;
  let baseUrl = '';
  if (options.listen) {
    const listening = createServer();
    server = listening;
    listening.listen(0, '127.0.0.1');
    await once(listening, 'listening');
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }
  const authInput = typeof options.auth === 'function' ? await options.auth(baseUrl) : (options.auth ?? AUTH);
  const auth = parseAuthConfig(authInput, {});
  const app = server
    ? Fastify({
        logger: false,
        serverFactory: (handler) => {
          server.on('request', handler);
          return server;
        },
      })
    : Fastify({ logger: false });
  installErrorHandler(app);
  await app.register(apiPlugin, {
    store,
    config: {
      columns: COLUMNS,
      flags: FLAGS,
      auth,
      pipelines: [PIPELINE],
      ...(options.sources ? { sources: options.sources } : {}),
      ...(options.dashboard ? { dashboard: options.dashboard } : {}),
      ...(options.publicUrl || baseUrl ? { publicUrl: options.publicUrl ?? baseUrl } : {}),
    },
    mode: options.mode ?? 'production',
    now: () => clock.now,
    ...(options.streamPollMs !== undefined ? { streamPollMs: options.streamPollMs } : {}),
  });
  await app.ready();

  return {
    app,
    store,
    auth,
    clock,
    baseUrl,
    async session(email) {
      const id = randomBytes(16).toString('base64url');
      const csrfToken = randomBytes(16).toString('base64url');
      await store.createSession({
        id,
        email,
        name: null,
        roles: rolesFor(auth, email),
        csrfToken,
        createdAt: clock.now,
        expiresAt: new Date(clock.now.getTime() + 3_600_000),
      });
      return { headers: { cookie: `webpig_session=${id}` }, csrfToken };
    },
    async token(scopes, name = `bot-${randomBytes(3).toString('hex')}`) {
      const { token } = await createApiToken(store, { name, scopes, createdBy: 'test', now: clock.now });
      return { headers: { authorization: `Bearer ${token}` }, token };
    },
    request(method, url, caller, body) {
      return app.inject({
        method,
        url,
        headers: { ...(caller?.headers ?? {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
    },
    async close() {
      await app.close();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await store.close();
      remove();
    },
  };
}

/** A session caller that also sends its CSRF token (what the dashboard does on changes). */
export function withCsrf(caller: Caller & { csrfToken: string }): Caller {
  return { headers: { ...caller.headers, 'x-csrf-token': caller.csrfToken } };
}

export interface SeedStage {
  stage: string;
  status: Exclude<CheckpointStatus, 'pending' | 'processing'>;
  durationMs?: number;
  data?: JsonValue;
  error?: string;
  /** A skipped stage's flag, switched off (Default: MEMBERSHIPS_ENABLED). */
  flag?: string;
}

export interface SeedEvent {
  providerEventId?: string;
  source?: string;
  type?: string;
  transactionStatus?: EventRecord['transactionStatus'];
  summary?: EventSummary;
  rawBody?: string;
  contentType?: string;
  payload?: JsonValue;
  receivedAt?: Date;
  stages?: SeedStage[];
  /** (Default: succeeded) */
  finalStatus?: 'succeeded' | 'dead' | 'retrying' | 'ignored' | 'processing' | 'queued';
  /** Extra claims before the last, to make attempts > 1. */
  extraAttempts?: number;
  /** A retrying event's next attempt. (Default: a minute after it was received) */
  nextAttemptAt?: Date;
}

let seeded = 0;

/**
 * Stores an event and moves it through the store as a worker would (claim, stage start and
 * outcome, finish). Events are seeded one at a time so each claim takes the one just inserted.
 */
export async function seedEvent(store: Store, seed: SeedEvent = {}): Promise<EventRecord> {
  seeded += 1;
  const payload = seed.payload ?? { x_ref_payco: `REF-${seeded}` };
  const received = seed.receivedAt ?? at(seeded * 1000);
  const { event } = await store.insertEvent({
    source: seed.source ?? 'epayco',
    providerEventId: seed.providerEventId ?? `seed-${seeded}-${randomBytes(4).toString('hex')}`,
    entityKey: null,
    type: seed.type ?? 'payment.updated',
    transactionStatus: seed.transactionStatus === undefined ? 'accepted' : seed.transactionStatus,
    occurredAt: received,
    receivedAt: received,
    rawBody: Buffer.from(seed.rawBody ?? JSON.stringify(payload)),
    contentType: seed.contentType ?? 'application/json',
    payload,
    summary: seed.summary ?? { customer: { name: `Cliente ${seeded}` } },
  });
  const finalStatus = seed.finalStatus ?? 'succeeded';
  if (finalStatus === 'queued') return event;
  const worker = `seed-worker-${seeded}`;
  // Claims happen at the event's own time: nothing older is left runnable by the seeding.
  const claimAt = received;
  for (let i = 0; i <= (seed.extraAttempts ?? 0); i++) {
    const claimed = await store.claimNextEvent({ workerId: worker, leaseMs: MINUTE, now: claimAt });
    if (claimed?.id !== event.id) throw new Error(`seeding claimed ${claimed?.id ?? 'nothing'} instead of ${event.id}`);
    if (i < (seed.extraAttempts ?? 0)) await store.releaseLease(event.id, worker, claimAt);
  }
  for (const stage of seed.stages ?? []) {
    const started = claimAt;
    await store.recordStageStart({ eventId: event.id, stage: stage.stage, leaseOwner: worker, attempt: 1, startedAt: started });
    const outcome: StageOutcome =
      stage.status === 'success'
        ? { status: 'success', data: stage.data ?? null }
        : stage.status === 'error'
          ? { status: 'error', error: { message: stage.error ?? 'boom', code: 'TIMEOUT', retriable: true } }
          : { status: 'skipped', skipReason: { kind: 'flag', flag: stage.flag ?? 'MEMBERSHIPS_ENABLED', value: false } };
    await store.recordStageOutcome({
      eventId: event.id,
      stage: stage.stage,
      leaseOwner: worker,
      outcome,
      attempt: 1,
      startedAt: started,
      completedAt: new Date(started.getTime() + (stage.durationMs ?? 10)),
      logs: [
        {
          at: started,
          level: stage.status === 'error' ? 'error' : 'info',
          stage: stage.stage,
          message: `${stage.stage}: ${stage.status}`,
          fields: null,
        },
      ],
    });
  }
  if (finalStatus === 'processing') return (await store.getEvent(event.id)) as EventRecord;
  return store.finishEvent({
    eventId: event.id,
    leaseOwner: worker,
    status: finalStatus,
    pipeline: 'facturador',
    now: claimAt,
    ...(finalStatus === 'retrying' ? { nextAttemptAt: seed.nextAttemptAt ?? new Date(claimAt.getTime() + MINUTE) } : {}),
    ...(finalStatus === 'dead' || finalStatus === 'retrying' ? { lastError: { message: 'WorldOffice timeout', retriable: true } } : {}),
    ...(finalStatus === 'ignored'
      ? { ignoreReason: { kind: 'not_applicable', detail: 'rejected payment', texts: { es: 'pago rechazado', en: 'rejected payment' } } }
      : {}),
  });
}

export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}
