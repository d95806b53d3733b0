/**
 * Shared pieces of the engine tests: a real SQLite store (in memory, migrated), deliveries, a
 * controllable clock, and "claim then run one event" with the real runner.
 */
import { pino } from 'pino';
import type { PipelineDefinition, StageDefinition } from '../../src/core/pipeline.js';
import type { JsonValue } from '../../src/core/types.js';
import { runEvent, type RunEventOptions, type RunEventResult } from '../../src/engine/runner.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewEvent, Store } from '../../src/store/store.js';

export const silentLogger = pino({ level: 'silent' });
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const MINUTE = 60_000;

/** A clock the test moves by hand: nothing in the engine tests depends on real time. */
export class TestClock {
  constructor(public ms: number = T0) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function memoryStore(): Promise<SqliteStore> {
  const store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  return store;
}

let counter = 0;

export function delivery(overrides: Partial<NewEvent> = {}): NewEvent {
  counter += 1;
  return {
    source: 'epayco',
    providerEventId: `evt-${counter}`,
    entityKey: null,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: new Date(T0),
    receivedAt: new Date(T0),
    rawBody: Buffer.from(`{"n":${counter}}`),
    contentType: 'application/json',
    payload: { n: counter },
    summary: {},
    ...overrides,
  };
}

export async function insert(store: Store, overrides: Partial<NewEvent> = {}): Promise<number> {
  return (await store.insertEvent(delivery(overrides))).event.id;
}

/** Claims the next runnable event as `workerId` and runs it; null when nothing is runnable. */
export async function claimAndRun(
  store: Store,
  pipelines: PipelineDefinition[],
  clock: TestClock,
  extra: Partial<RunEventOptions> = {},
  workerId = 'test-worker',
): Promise<(RunEventResult & { eventId: number }) | null> {
  const event = await store.claimNextEvent({ workerId, leaseMs: MINUTE, now: clock.now() });
  if (!event) return null;
  const result = await runEvent({ store, pipelines, event, workerId, logger: silentLogger, now: clock.now, ...extra });
  return { ...result, eventId: event.id };
}

/** Stages that count their calls; `behaviour` may throw to fail a call. */
export class CountingStages {
  readonly calls = new Map<string, number>();
  readonly keys = new Map<string, string[]>();

  stage(
    name: string,
    extra: Partial<StageDefinition> = {},
    behaviour: (call: number) => JsonValue | void = () => ({ done: name }),
  ): StageDefinition {
    return {
      name,
      ...extra,
      run: async (ctx) => {
        const call = (this.calls.get(name) ?? 0) + 1;
        this.calls.set(name, call);
        this.keys.set(name, [...(this.keys.get(name) ?? []), ctx.idempotencyKey]);
        return behaviour(call);
      },
    };
  }

  count(name: string): number {
    return this.calls.get(name) ?? 0;
  }
}
