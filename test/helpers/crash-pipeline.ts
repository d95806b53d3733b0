/**
 * The pipeline the crash tests run: three stages with countable effects on the effects
 * server. `invoice` and `notify` send an Idempotency-Key; `ledger`'s receiver has none, so
 * only its `reconcile` (find the record by reference) keeps it from being written twice.
 */
import { definePipeline, type PipelineDefinition, type StageDefinition } from '../../src/core/pipeline.js';
import type { JsonValue } from '../../src/core/types.js';
import { HttpCallError } from '../../src/engine/errors.js';

export const CRASH_STAGES = ['invoice', 'ledger', 'notify'] as const;
/** The stages of `crashPipeline(…, { withLookups: true })`, in order. */
export const CRASH_STAGES_WITH_LOOKUPS = ['read_payment', 'invoice', 'find_ledger_entry', 'ledger', 'notify'] as const;

/** Called inside each stage right after its effect happened, before the stage returns. */
export type DuringEffect = (stage: string) => void | Promise<void>;

async function call(url: string, init: RequestInit): Promise<JsonValue> {
  const res = await fetch(url, init);
  const body = (await res.json()) as JsonValue;
  if (!res.ok) throw new HttpCallError(res.status, `${init.method ?? 'GET'} ${url} answered ${res.status}`);
  return body;
}

/**
 * `stageDelayMs` makes each effect take a while (multi-worker tests), so that runs overlap.
 * Every effect's body carries the worker's pid, so a test can see who did what.
 */
export function crashPipeline(
  effectsUrl: string,
  duringEffect: DuringEffect = () => undefined,
  stageDelayMs = 0,
  options: { withLookups?: boolean } = {},
): PipelineDefinition {
  const post = async (path: string, body: JsonValue, signal: AbortSignal, key?: string): Promise<JsonValue> => {
    if (stageDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, stageDelayMs));
    return call(`${effectsUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify({ ...(body as object), pid: process.pid }),
      signal,
    });
  };
  // Stages without effects (`effects: 'none'`) around the first one: a reading of the payload
  // first, a look-up between two stages with effects. Never marked on a first claim, run again
  // after a crash; the stages with effects around them must still happen once.
  const lookups: Record<'read_payment' | 'find_ledger_entry', StageDefinition> = {
    read_payment: {
      name: 'read_payment',
      effects: 'none',
      retry: { delaysMs: [0, 0, 0] },
      async run(ctx) {
        await duringEffect('read_payment');
        return { reference: ctx.event.providerEventId };
      },
    },
    find_ledger_entry: {
      name: 'find_ledger_entry',
      effects: 'none',
      dependsOn: ['invoice'],
      retry: { delaysMs: [0, 0, 0] },
      async run(ctx) {
        const found = await call(`${effectsUrl}/ledger/cartera?reference=${encodeURIComponent(ctx.event.providerEventId)}`, {
          signal: ctx.signal,
        });
        await duringEffect('find_ledger_entry');
        return { entries: Array.isArray(found) ? found.length : 0 };
      },
    },
  };
  const withLookups = options.withLookups === true;
  return definePipeline({
    name: 'crash',
    match: () => true,
    stages: [
      ...(withLookups ? [lookups.read_payment] : []),
      {
        name: 'invoice',
        ...(withLookups ? { dependsOn: ['read_payment'] } : {}),
        retry: { delaysMs: [0, 0, 0] },
        async run(ctx) {
          const record = await post('/effects/invoice', { event: ctx.event.providerEventId }, ctx.signal, ctx.idempotencyKey);
          await duringEffect('invoice');
          return record;
        },
      },
      ...(withLookups ? [lookups.find_ledger_entry] : []),
      {
        name: 'ledger',
        dependsOn: [withLookups ? 'find_ledger_entry' : 'invoice'],
        retry: { delaysMs: [0, 0, 0] },
        async reconcile(ctx) {
          const found = await call(`${effectsUrl}/ledger/cartera?reference=${encodeURIComponent(ctx.event.providerEventId)}`, {
            signal: ctx.signal,
          });
          return Array.isArray(found) && found.length > 0 ? found[0] : undefined;
        },
        async run(ctx) {
          const record = await post('/ledger/cartera', { reference: ctx.event.providerEventId }, ctx.signal);
          await duringEffect('ledger');
          return record;
        },
      },
      {
        name: 'notify',
        dependsOn: ['ledger'],
        retry: { delaysMs: [0, 0, 0] },
        async run(ctx) {
          const record = await post('/effects/whatsapp', { event: ctx.event.providerEventId }, ctx.signal, ctx.idempotencyKey);
          await duringEffect('notify');
          return record;
        },
      },
    ],
  });
}
