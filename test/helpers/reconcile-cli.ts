import { join } from 'node:path';
import { after, before } from 'node:test';
import type { EventRecord } from '../../src/core/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startCli } from './cli.js';
import { tempDatabaseDir } from './sqlite.js';
import { startStripeRig, type StripeRig } from './stripe-rig.js';

/**
 * `webpig reconcile` run as its own process against the sandbox's Stripe, as the reconcile CLI
 * tests do: a database the command opens with `--db`, the Stripe rig (an ingestion server and
 * the sandbox, over HTTP), the sandbox's address recorded in the database (as the demo records
 * it, so the command finds it with only `--db`), and payments whose webhooks were lost.
 */
export interface CliExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source until it exits, collecting what it printed. */
export async function runToExit(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliExit> {
  const cli = startCli(args, options);
  const code = await new Promise<number | null>((resolve) => cli.child.once('exit', (status) => resolve(status)));
  return { code, stdout: cli.output(), stderr: cli.errorOutput() };
}

/** A database the command can open: its `--db` value, the store on it, and what removes it. */
export interface CliDatabase {
  store: Store;
  db: string;
  cleanup?: () => void;
}

/** A SQLite file in a directory of its own, removed by `cleanup`. */
export async function sqliteCliDatabase(prefix: string): Promise<CliDatabase & { store: SqliteStore }> {
  const tmp = tempDatabaseDir(prefix);
  const db = `sqlite:${join(tmp.dir, 'webpig.db')}`;
  const store = SqliteStore.open(db);
  await store.migrate();
  return { store, db, cleanup: () => tmp.remove() };
}

export interface ReconcileCliRig<S extends Store = Store> {
  /** The command's `--db`. */
  db: string;
  store: S;
  rig: StripeRig;
  /** The ids of the payments lost at the start (`lostPayments`). */
  lostIds: string[];
  /** Closes the rig and the store, and removes the database. */
  close(): Promise<void>;
}

export interface ReconcileCliRigOptions<S extends Store> {
  database: () => Promise<CliDatabase & { store: S }>;
  /** Payments in the Stripe account whose webhooks never arrived, made before the tests. (Default: 0) */
  lostPayments?: number;
  /**
   * Records the sandbox's Stripe as the source `stripe`'s API in the database. A test that puts a
   * hop in front of the sandbox records the hop's address itself. (Default: true)
   */
  recordApi?: boolean;
}

export async function startReconcileCliRig<S extends Store>(options: ReconcileCliRigOptions<S>): Promise<ReconcileCliRig<S>> {
  const { store, db, cleanup } = await options.database();
  const rig = await startStripeRig(store);
  if (options.recordApi ?? true) await store.recordProviderApi('stripe', rig.stripeApiUrl);
  const lostIds: string[] = [];
  for (let i = 0; i < (options.lostPayments ?? 0); i++) lostIds.push(String((await rig.lostPayment()).id));
  return {
    db,
    store,
    rig,
    lostIds,
    async close() {
      await rig.close();
      await store.close();
      cleanup?.();
    },
  };
}

/**
 * Registers, in the calling `describe`, a `before` that starts the rig (startReconcileCliRig)
 * and an `after` that closes it. Read its fields in hooks and tests, once `before` has run.
 */
export function reconcileCliRigForDescribe<S extends Store>(options: ReconcileCliRigOptions<S>): ReconcileCliRig<S> {
  let started: ReconcileCliRig<S> | undefined;
  const rig = (): ReconcileCliRig<S> => {
    if (!started) throw new Error("reconcileCliRigForDescribe: the rig is read before the describe's before hook started it");
    return started;
  };
  before(async () => {
    started = await startReconcileCliRig(options);
  });
  after(async () => {
    await started?.close();
  });
  return {
    get db() {
      return rig().db;
    },
    get store() {
      return rig().store;
    },
    get rig() {
      return rig().rig;
    },
    get lostIds() {
      return rig().lostIds;
    },
    close: () => rig().close(),
  };
}

/** Waits until the source has at least `count` events (a command mid-run creating them). */
export async function waitForEvents(store: Store, source: string, count: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await store.countEvents({ source });
    if (now >= count || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every event of the source, page after page. */
export async function allEvents(store: Store, source: string): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (let cursor: string | null = null; ;) {
    const page = await store.listEvents({ source }, { cursor, limit: 500 });
    events.push(...page.items);
    if (page.nextCursor === null) return events;
    cursor = page.nextCursor;
  }
}
