import type { ColumnConfig, FlagConfig } from '../../src/config/types.js';
import { definePipeline, type PipelineDefinition } from '../../src/core/pipeline.js';
import type { ErrorInfo, EventRecord } from '../../src/core/types.js';
import type { SourceConfig } from '../../src/sources/config.js';
import type { StageOutcome, Store } from '../../src/store/store.js';
import type { DashboardServerOptions } from '../helpers/browser.js';
import { TEST_SECRETS } from '../helpers/signing.js';

/** The seeds' Web Pig, reduced: four columns, two flags with their permission lists. */

export const COLUMNS: ColumnConfig[] = [
  { key: 'frapp', label: 'FRAPP' },
  { key: 'crm', label: 'CRM' },
  { key: 'factura', label: 'Factura' },
  { key: 'dian', label: 'DIAN' },
];

export const FLAGS: FlagConfig[] = [
  { key: 'MEMBERSHIPS_ENABLED', description: 'Crear membresías en FRAPP', allowed: ['admin1@sentiretaller.com'] },
  { key: 'WORLDOFFICE_DIAN_ENABLED', description: 'Emitir facturas a la DIAN', default: false, allowed: ['operator'] },
];

const noEffect = async () => ({ ok: true });

// The stages never run here (no worker): the tests write their checkpoints through the store.
export const PIPELINES: PipelineDefinition[] = [
  definePipeline({
    name: 'sale',
    match: () => true,
    stages: [
      { name: 'membership_creation', column: 'frapp', flag: 'MEMBERSHIPS_ENABLED', run: noEffect },
      { name: 'crm_upsert', column: 'crm', run: noEffect },
      { name: 'worldoffice_invoice', column: 'factura', run: noEffect },
      { name: 'worldoffice_dian_emission', column: 'dian', flag: 'WORLDOFFICE_DIAN_ENABLED', run: noEffect },
    ],
  }),
];

export const SOURCES: SourceConfig[] = [
  { name: 'epayco', kind: 'epayco', customerId: TEST_SECRETS.epaycoCustomerId, pKeys: [TEST_SECRETS.epaycoPKey] },
];

export const OPERATOR = 'finance1@sentiretaller.com';
export const ADMIN = 'admin1@sentiretaller.com';

export const AUTH = {
  allowedDomains: ['sentiretaller.com'],
  roles: { admin: { members: [ADMIN] }, operator: { members: [OPERATOR] } },
  defaultRole: 'viewer',
};

/** The server these pages are tested on: the seeds' config above, in demo mode (development sign-in). */
export const DEMO_SERVER: DashboardServerOptions = {
  columns: COLUMNS,
  flags: FLAGS,
  pipelines: PIPELINES,
  sources: SOURCES,
  auth: AUTH,
  signIn: { kind: 'dev' },
};

export const DATA_MARKUP = '<img src=x onerror=alert("data")>';

const TIMEOUT: ErrorInfo = { message: 'Timeout after 30s calling CRM', code: 'TIMEOUT', retriable: true };

/**
 * A dead event as a worker would leave it after three failed runs: FRAPP done, DIAN skipped
 * by its flag, CRM failing each time, the invoice not run. Written through the store's own calls (claim, stage start and
 * outcome, finish), with the clock moved forward a second per step.
 */
/** What a worker does with a fresh event whose stages all succeed (membership only, here). */
export async function runFirstStage(store: Store, eventId: number): Promise<void> {
  const worker = 'test-worker';
  const now = new Date();
  const claimed = await store.claimNextEvent({ workerId: worker, leaseMs: 60_000, now });
  if (claimed?.id !== eventId) throw new Error(`expected to claim event ${eventId}, got ${claimed?.id ?? 'none'}`);
  await store.recordStageStart({ eventId, stage: 'membership_creation', leaseOwner: worker, attempt: 1, startedAt: now });
  await store.recordStageOutcome({
    eventId,
    stage: 'membership_creation',
    leaseOwner: worker,
    outcome: { status: 'success', data: { membershipId: 'M-88' } },
    attempt: 1,
    startedAt: now,
    completedAt: new Date(now.getTime() + 250),
  });
  await store.finishEvent({ eventId, leaseOwner: worker, status: 'succeeded', pipeline: 'sale', now: new Date() });
}

export async function seedDeadEvent(store: Store, providerEventId: string, customerName: string): Promise<EventRecord> {
  let now = new Date(Date.now() - 60_000);
  const tick = () => (now = new Date(now.getTime() + 1000));
  const { event } = await store.insertEvent({
    source: 'epayco',
    providerEventId,
    entityKey: `ref-${providerEventId}`,
    type: 'transaction.accepted',
    transactionStatus: 'accepted',
    occurredAt: now,
    receivedAt: now,
    rawBody: Buffer.from(JSON.stringify({ ref: providerEventId, customer: customerName })),
    contentType: 'application/json',
    payload: { ref: providerEventId, customer: customerName },
    summary: {
      customer: { name: customerName, documentId: '1020304050', email: 'ana@example.com', phone: '3001234567' },
      product: { name: 'Membresía Elite', id: 'PROD-ELITE' },
      amount: 1250000,
      currency: 'COP',
    },
  });
  const worker = 'seed-worker';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const claimed = await store.claimNextEvent({ workerId: worker, leaseMs: 60_000, now: tick() });
    if (claimed?.id !== event.id) throw new Error(`seed: expected to claim event ${event.id}`);
    const stage = async (name: string, outcome: StageOutcome) => {
      const startedAt = tick();
      await store.recordStageStart({ eventId: event.id, stage: name, leaseOwner: worker, attempt, startedAt });
      await store.recordStageOutcome({
        eventId: event.id,
        stage: name,
        leaseOwner: worker,
        outcome,
        attempt,
        startedAt,
        completedAt: tick(),
      });
    };
    if (attempt === 1) {
      // Markup in stage data (the seeds' modal put it in innerHTML): the page must show it as text.
      await stage('membership_creation', { status: 'success', data: { membershipId: 'M-77', note: DATA_MARKUP } });
      // A flag-skipped stage never starts: its outcome is written alone, as attempt 0.
      await store.recordStageOutcome({
        eventId: event.id,
        stage: 'worldoffice_dian_emission',
        leaseOwner: worker,
        outcome: { status: 'skipped', skipReason: { kind: 'flag', flag: 'WORLDOFFICE_DIAN_ENABLED', value: false } },
        attempt: 0,
        startedAt: null,
        completedAt: tick(),
      });
    }
    await stage('crm_upsert', { status: 'error', error: TIMEOUT });
    await store.finishEvent({
      eventId: event.id,
      leaseOwner: worker,
      status: attempt < 3 ? 'retrying' : 'dead',
      nextAttemptAt: attempt < 3 ? tick() : null,
      lastError: TIMEOUT,
      pipeline: 'sale',
      now: tick(),
    });
  }
  const dead = await store.getEvent(event.id);
  if (dead?.status !== 'dead') throw new Error('seed: event did not end dead');
  // The dead alert the worker writes when an event dies (without a code: the page shows the
  // connector's own sentence then).
  await store.recordAlert({
    at: dead.updatedAt,
    kind: 'dead',
    eventId: dead.id,
    message: `event ${dead.id} is dead: ${TIMEOUT.message}`,
    details: { code: null, error: TIMEOUT.message, attempts: dead.attempts },
  });
  return dead;
}
