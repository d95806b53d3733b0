import type { EventSummary } from '../../src/core/types.js';
import type { NewEvent, Store } from '../../src/store/store.js';

/** What a dialect's test file gives the contract for each test. */
export interface StoreFixture {
  /** A store on an EMPTY database (or schema), not migrated yet: the contract migrates it. */
  store: Store;
  /** Closes the store and removes the database (PostgreSQL: keeps the schema on failure). */
  cleanup: () => Promise<void>;
  /**
   * Records migration `version` as applied, as a newer webpig would have: the contract uses
   * it to check that the store refuses a schema it does not know (SCHEMA_TOO_NEW).
   */
  recordAppliedMigration: (version: number, name: string) => Promise<void>;
  /**
   * Writes a lease straight onto an event's row, whatever its status, as a hand edit or an
   * older webpig could have left it: the contract uses it to check that an operator retry
   * drops such a leftover lease rather than carrying it into the queue.
   */
  writeLeaseOnRow: (eventId: number, owner: string, expiresAt: Date) => Promise<void>;
  /**
   * Resolves once listeners subscribed with `onWake` hear every later wake-up. Stores that
   * deliver wake-ups over the network (PostgreSQL: LISTEN on its own connection) start
   * listening asynchronously; a wake-up sent before that is lost. Omit when subscribing is
   * immediate (SQLite).
   */
  wakeListening?: () => Promise<void>;
  /**
   * Finishes the text search indexing a store defers past the commit (SQLite: its indexer
   * adds the events committed since, migration 0012). The contract searches before and after
   * it: the same results either way. Omit when the index is written with the event (PostgreSQL).
   */
  indexSearch?: () => Promise<void>;
}

export type MakeStore = () => Promise<StoreFixture>;

/** Gives each contract part the current test's store (a fresh one per test). */
export interface ContractContext {
  readonly store: Store;
  readonly fixture: StoreFixture;
  /** What the first `migrate()` of this test's store returned. */
  readonly firstMigration: { applied: string[]; current: number };
}

/** A fixed clock: every time in the contract is T0 + some offset, so nothing depends on now. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const at = (offsetMs: number): Date => new Date(T0 + offsetMs);
export const MINUTE = 60_000;

let counter = 0;

/** A valid delivery; each call gets its own provider id unless told otherwise. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  counter += 1;
  const summary: EventSummary = {
    customer: { name: 'Ana María Pérez', documentId: '1020304050', email: 'ana@example.com' },
    product: { name: 'Plan anual' },
    amount: 1_200_000,
    currency: 'COP',
    references: { payment: `REF-${counter}` },
  };
  return {
    source: 'epayco',
    providerEventId: `evt-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    entityKey: null,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: at(0),
    receivedAt: at(0),
    rawBody: Buffer.from(`{"x_ref_payco":"${counter}"}`),
    contentType: 'application/json',
    payload: { x_ref_payco: String(counter) },
    summary,
    ...overrides,
  };
}

/** Inserts deliveries one by one and returns their ids, in order. */
export async function insertAll(store: Store, events: NewEvent[]): Promise<number[]> {
  const ids: number[] = [];
  for (const event of events) ids.push((await store.insertEvent(event)).event.id);
  return ids;
}

/** Claims with a fresh lease of one minute at `now`. */
export function claim(store: Store, workerId: string, now: Date, leaseMs = MINUTE) {
  return store.claimNextEvent({ workerId, leaseMs, now });
}
