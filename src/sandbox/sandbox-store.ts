import Database from 'better-sqlite3';
import type { JsonObject } from '../core/types.js';
import { WebpigError } from '../core/errors.js';

/**
 * The sandbox's own persistence: the records the simulated services were asked to create,
 * the replies they gave to each Idempotency-Key, and the faults waiting to be injected.
 *
 * This is the one place outside `src/store/` that holds SQL. It is deliberately NOT part of
 * the webpig Store: it stands in for other companies' databases (WorldOffice, Strapi...),
 * so it lives in its own file (`<db>.sandbox.db`) and survives a restart of the process, which
 * lets crash tests count what the "outside world" holds after killing a worker.
 */

export type SandboxService =
  'fr360' | 'frapp' | 'clientify' | 'worldoffice' | 'strapi' | 'callbell' | 'epayco' | 'mercadopago' | 'stripe' | 'gohighlevel';

export const SANDBOX_SERVICES: readonly SandboxService[] = [
  'fr360',
  'frapp',
  'clientify',
  'worldoffice',
  'strapi',
  'callbell',
  'epayco',
  'mercadopago',
  'stripe',
  'gohighlevel',
];

/**
 * Who keeps records here: the simulated services, and the example shop of
 * `examples/stripe-orders` (the user's own backend there), so its orders, stock and e-mails
 * survive a restart of the demo like every other sandbox record. The shop serves its own routes
 * (`/sandbox/shop/...`), so it is not one of SANDBOX_SERVICES.
 */
export type SandboxOwner = SandboxService | 'shop';

/** A stored record: its fields plus the id and times the sandbox gave it. */
export type SandboxRecord = JsonObject & { id: number; createdAt: string; updatedAt: string };

export type FaultMode = 'error' | 'timeout' | 'effect-then-fail';
export const FAULT_MODES: readonly FaultMode[] = ['error', 'timeout', 'effect-then-fail'];

export interface FaultSpec {
  service: SandboxOwner;
  /** Operation name, e.g. `create_invoice`; listed per service in src/sandbox/README.md. */
  operation: string;
  mode: FaultMode;
  /** How many of the next calls fail. */
  count: number;
  /** HTTP status of the failed reply. (Default: 503 for `error`, 502 for `effect-then-fail`) */
  status?: number;
}

export interface PendingFault extends FaultSpec {
  id: number;
  /** Calls still to fail. */
  remaining: number;
}

export interface StoredReply {
  status: number;
  body: JsonObject;
}

export class SandboxStoreError extends WebpigError {}

/** `<db>.sandbox.db` next to the webpig database; `:memory:` stays in memory. */
export function sandboxDbPathFor(webpigDbPath: string): string {
  return webpigDbPath === ':memory:' ? ':memory:' : `${webpigDbPath}.sandbox.db`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sandbox_records (
  service    TEXT    NOT NULL,
  collection TEXT    NOT NULL,
  id         INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  PRIMARY KEY (service, collection, id)
);
CREATE TABLE IF NOT EXISTS sandbox_idempotency_keys (
  service   TEXT    NOT NULL,
  operation TEXT    NOT NULL,
  key       TEXT    NOT NULL,
  status    INTEGER NOT NULL,
  body      TEXT    NOT NULL,
  PRIMARY KEY (service, operation, key)
);
CREATE TABLE IF NOT EXISTS sandbox_faults (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  service   TEXT    NOT NULL,
  operation TEXT    NOT NULL,
  mode      TEXT    NOT NULL,
  remaining INTEGER NOT NULL,
  status    INTEGER
);
`;

/**
 * The `findBy` indexes an earlier version made over every record (not partial): dropped when a
 * sandbox file is opened, so that `fieldIndex` makes them again with its WHERE clause.
 */
function dropIndexesOnEveryRecord(db: Database.Database): void {
  const old = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sandbox_records' AND name LIKE 'sandbox\\_records\\_by\\_%' ESCAPE '\\' AND sql NOT LIKE '% WHERE %'`,
    )
    .all() as Array<{ name: string }>;
  for (const { name } of old) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

interface RecordRow {
  id: number;
  data: string;
  created_at: string;
  updated_at: string;
}

interface FaultRow {
  id: number;
  service: string;
  operation: string;
  mode: string;
  remaining: number;
  status: number | null;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SandboxStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  /** Prepared once per SQL text: preparing on every call was a tenth of the sandbox's CPU. */
  private readonly statements = new Map<string, Database.Statement>();
  /** The names of the `findBy` indexes known to exist. */
  private readonly indexedFields = new Set<string>();

  /** Made once: `db.transaction(fn)` builds a wrapper and its four variants at every call. */
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(db: Database.Database, now: () => Date) {
    this.db = db;
    this.now = now;
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Opens (creating if needed) the sandbox database at `path`, or in memory for `:memory:`.
   * Several processes may open the same file (the demo's server and its sandbox process):
   * every write runs in an IMMEDIATE transaction, so two never interleave.
   */
  static open(path: string, options: { now?: () => Date } = {}): SandboxStore {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // It stands for other companies' databases: a commit survives a crash of any process
    // (WAL), only a power cut may lose the last ones; FULL made every simulated call wait on
    // an fsync and was the largest part of the sandbox's CPU in the demo.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    dropIndexesOnEveryRecord(db);
    return new SandboxStore(db, options.now ?? (() => new Date()));
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs `fn` in one transaction: an effect and its idempotency reply commit together. Inside
   * one already, `fn` runs in it (no savepoint: an insert writes nothing before it can fail).
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.inTransaction.immediate(fn) as T;
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /**
   * An index on one top-level field of the records, created the first time `findBy` asks for
   * it: a lookup stays one index probe however many records the sandbox holds (it was a scan
   * with json_extract on every row of the collection). Partial: only records that have the
   * field are in it (`= ?` never matches a NULL, so SQLite still uses it). Over every record,
   * each of the ten or so indexes took an entry for every insert of every service: about 24
   * page writes a write transaction in the demo, counted with strace.
   */
  private fieldIndex(field: string, caseInsensitive: boolean): string {
    const name = `sandbox_records_by_${caseInsensitive ? 'lower_' : ''}${field}`;
    if (this.indexedFields.has(name)) return name;
    const expression = caseInsensitive ? `lower(json_extract(data, '$.${field}'))` : `json_extract(data, '$.${field}')`;
    this.db.exec(
      `CREATE INDEX IF NOT EXISTS ${name} ON sandbox_records (service, collection, ${expression}) WHERE ${expression} IS NOT NULL`,
    );
    this.indexedFields.add(name);
    return name;
  }

  /** Stores a new record; ids count up per collection from `firstId`. (Default firstId: 1) */
  insert(service: SandboxOwner, collection: string, data: JsonObject, firstId = 1): SandboxRecord {
    const at = this.now().toISOString();
    const text = JSON.stringify(data);
    // In a transaction of its own (a savepoint inside an operation's): the next id is read and
    // taken under the write lock, even with another process writing the same file.
    const id = this.transaction(() => {
      const max = this.statement('SELECT MAX(id) AS max FROM sandbox_records WHERE service = ? AND collection = ?').get(
        service,
        collection,
      ) as { max: number | null };
      const next = max.max === null ? firstId : max.max + 1;
      this.statement('INSERT INTO sandbox_records (service, collection, id, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        service,
        collection,
        next,
        text,
        at,
        at,
      );
      return next;
    });
    return { ...(JSON.parse(text) as JsonObject), id, createdAt: at, updatedAt: at };
  }

  /** Replaces the fields of a record (the id and creation time stay). */
  update(service: SandboxOwner, collection: string, id: number, data: JsonObject): SandboxRecord {
    const at = this.now().toISOString();
    const updated = this.statement(
      `UPDATE sandbox_records SET data = ?, updated_at = ? WHERE service = ? AND collection = ? AND id = ?
         RETURNING id, data, created_at, updated_at`,
    ).get(JSON.stringify(data), at, service, collection, id) as RecordRow | undefined;
    if (!updated) throw new SandboxStoreError('SANDBOX_NOT_FOUND', `no ${service} ${collection} record ${id}`);
    return toRecord(updated);
  }

  /** Deletes a record; false when there was none. */
  remove(service: SandboxOwner, collection: string, id: number): boolean {
    return (
      this.statement('DELETE FROM sandbox_records WHERE service = ? AND collection = ? AND id = ?').run(service, collection, id).changes > 0
    );
  }

  get(service: SandboxOwner, collection: string, id: number): SandboxRecord | undefined {
    const row = this.statement(
      'SELECT id, data, created_at, updated_at FROM sandbox_records WHERE service = ? AND collection = ? AND id = ?',
    ).get(service, collection, id) as RecordRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Every record of a collection, oldest first. */
  list(service: SandboxOwner, collection: string): SandboxRecord[] {
    const rows = this.statement(
      'SELECT id, data, created_at, updated_at FROM sandbox_records WHERE service = ? AND collection = ? ORDER BY id',
    ).all(service, collection) as RecordRow[];
    return rows.map(toRecord);
  }

  /**
   * Records whose top-level string field equals `value`. With `caseInsensitive`, compares
   * ASCII-lowercased (SQLite's lower()), which is what e-mail matching needs.
   */
  findBy(
    service: SandboxOwner,
    collection: string,
    field: string,
    value: string,
    options: { caseInsensitive?: boolean } = {},
  ): SandboxRecord[] {
    if (!FIELD_NAME.test(field)) throw new SandboxStoreError('SANDBOX_BAD_FIELD', `bad field name "${field}"`);
    const sql = this.findBySql(field, options.caseInsensitive === true);
    const rows = this.statement(sql).all(service, collection, value) as RecordRow[];
    return rows.map(toRecord);
  }

  /** How SQLite runs `findBy` on this field (EXPLAIN QUERY PLAN's lines): tests check it probes an index. */
  findByPlan(field: string, options: { caseInsensitive?: boolean } = {}): string[] {
    if (!FIELD_NAME.test(field)) throw new SandboxStoreError('SANDBOX_BAD_FIELD', `bad field name "${field}"`);
    const plan = this.db.prepare(`EXPLAIN QUERY PLAN ${this.findBySql(field, options.caseInsensitive === true)}`).all('', '', '');
    return (plan as Array<{ detail: string }>).map((row) => row.detail);
  }

  /**
   * The path is part of the SQL text (the field name is checked by the callers) so that the
   * field's index applies; INDEXED BY because the planner otherwise prefers the primary key
   * for the ORDER BY and scans the collection.
   */
  private findBySql(field: string, caseInsensitive: boolean): string {
    const index = this.fieldIndex(field, caseInsensitive);
    return caseInsensitive
      ? `SELECT id, data, created_at, updated_at FROM sandbox_records INDEXED BY ${index}
           WHERE service = ? AND collection = ? AND lower(json_extract(data, '$.${field}')) = lower(?) ORDER BY id`
      : `SELECT id, data, created_at, updated_at FROM sandbox_records INDEXED BY ${index}
           WHERE service = ? AND collection = ? AND json_extract(data, '$.${field}') = ? ORDER BY id`;
  }

  /** The reply given earlier to this Idempotency-Key, if any. */
  storedReply(service: SandboxOwner, operation: string, key: string): StoredReply | undefined {
    const row = this.statement('SELECT status, body FROM sandbox_idempotency_keys WHERE service = ? AND operation = ? AND key = ?').get(
      service,
      operation,
      key,
    ) as { status: number; body: string } | undefined;
    return row ? { status: row.status, body: JSON.parse(row.body) as JsonObject } : undefined;
  }

  storeReply(service: SandboxOwner, operation: string, key: string, reply: StoredReply): void {
    this.statement('INSERT INTO sandbox_idempotency_keys (service, operation, key, status, body) VALUES (?, ?, ?, ?, ?)').run(
      service,
      operation,
      key,
      reply.status,
      JSON.stringify(reply.body),
    );
  }

  addFault(spec: FaultSpec): PendingFault {
    const result = this.db
      .prepare('INSERT INTO sandbox_faults (service, operation, mode, remaining, status) VALUES (?, ?, ?, ?, ?)')
      .run(spec.service, spec.operation, spec.mode, spec.count, spec.status ?? null);
    return { ...spec, id: Number(result.lastInsertRowid), remaining: spec.count };
  }

  /**
   * Consumes one call of the oldest pending fault for this service and operation, if any.
   * Done in one transaction so two concurrent calls never both take the last one.
   */
  takeFault(service: SandboxOwner, operation: string): PendingFault | undefined {
    // Most calls find none: that is one read, with no write transaction (and no commit).
    if (this.statement('SELECT 1 FROM sandbox_faults LIMIT 1').get() === undefined) return undefined;
    return this.transaction(() => {
      const row = this.statement(
        `SELECT id, service, operation, mode, remaining, status FROM sandbox_faults
           WHERE service = ? AND operation = ? AND remaining > 0 ORDER BY id LIMIT 1`,
      ).get(service, operation) as FaultRow | undefined;
      if (!row) return undefined;
      this.statement('UPDATE sandbox_faults SET remaining = remaining - 1 WHERE id = ?').run(row.id);
      this.statement('DELETE FROM sandbox_faults WHERE remaining <= 0').run();
      return toFault(row);
    });
  }

  listFaults(): PendingFault[] {
    const rows = this.db
      .prepare('SELECT id, service, operation, mode, remaining, status FROM sandbox_faults ORDER BY id')
      .all() as FaultRow[];
    return rows.map(toFault);
  }

  clearFaults(): number {
    return this.db.prepare('DELETE FROM sandbox_faults').run().changes;
  }
}

function toRecord(row: RecordRow): SandboxRecord {
  const data = JSON.parse(row.data) as JsonObject;
  return { ...data, id: row.id, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toFault(row: FaultRow): PendingFault {
  return {
    id: row.id,
    service: row.service as SandboxOwner,
    operation: row.operation,
    mode: row.mode as FaultMode,
    count: row.remaining,
    remaining: row.remaining,
    ...(row.status === null ? {} : { status: row.status }),
  };
}
