import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/core/errors.js';
import type { TransactionStatus } from '../../src/core/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteContext } from '../../src/store/sqlite/connection.js';
import { countEventsQuery, listEventsQuery } from '../../src/store/sqlite/events.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { newEvent } from './contract-fixtures.js';
import { insertLegacyEvent, recordAppliedMigration, sqliteAtVersion, tempDatabaseDir, writeLeaseOnRow } from '../helpers/sqlite.js';
import { storeContract } from './contract.js';

const ALL = sqliteMigrations().map((m) => m.name);
const LATEST = sqliteMigrations().length;

storeContract('sqlite (in memory)', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  return {
    store,
    cleanup: () => store.close(),
    recordAppliedMigration: async (version, name) => recordAppliedMigration(store, version, name),
    writeLeaseOnRow: async (eventId, owner, expiresAt) => writeLeaseOnRow(store, eventId, owner, expiresAt),
    indexSearch: async () => {
      store.indexSearchNow();
    },
  };
});

storeContract('sqlite (file)', async () => {
  const temp = tempDatabaseDir();
  const store = SqliteStore.open(`sqlite:${join(temp.dir, 'webpig.db')}`);
  return {
    store,
    cleanup: async () => {
      await store.close();
      temp.remove();
    },
    recordAppliedMigration: async (version, name) => recordAppliedMigration(store, version, name),
    writeLeaseOnRow: async (eventId, owner, expiresAt) => writeLeaseOnRow(store, eventId, owner, expiresAt),
    indexSearch: async () => {
      store.indexSearchNow();
    },
  };
});

describe('SqliteStore', () => {
  it('stores a batch all or nothing: one bad delivery stores none and names the failure', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const delivery = (providerEventId: string, transactionStatus: TransactionStatus) => ({
      source: 'epayco',
      providerEventId,
      entityKey: null,
      type: 'payment.updated',
      transactionStatus,
      occurredAt: new Date(0),
      receivedAt: new Date(0),
      rawBody: Buffer.from('{}'),
      contentType: 'application/json',
      payload: {},
      summary: {},
    });
    await assert.rejects(
      store.insertEvents([delivery('ok-1', 'accepted'), delivery('bad', 'approved' as TransactionStatus)]),
      (err: unknown) => err instanceof StoreError && err.code === 'CONSTRAINT_VIOLATED',
    );
    assert.equal(await store.countEvents({}), 0);
    assert.equal(await store.findEventByProviderId('epayco', 'ok-1'), null);
    await store.close();
  });

  it('refuses invalid dates and leases with INVALID_ARGUMENT, and calls after close with STORE_CLOSED', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const isCode = (code: string) => (err: unknown) => err instanceof StoreError && err.code === code;
    await assert.rejects(store.claimNextEvent({ workerId: 'w', leaseMs: 0, now: new Date(0) }), isCode('INVALID_ARGUMENT'));
    await assert.rejects(store.claimNextEvent({ workerId: 'w', leaseMs: 1_000, now: new Date('nope') }), isCode('INVALID_ARGUMENT'));
    await assert.rejects(store.appendAudit({ actor: 'a', action: 'x', target: 't', at: new Date(Number.NaN) }), isCode('INVALID_ARGUMENT'));
    assert.deepEqual((await store.listAudit({})).items, []);
    await store.close();
    await assert.rejects(store.getEvent(1), isCode('STORE_CLOSED'));
  });

  it('claims through the runnable index, not a scan of the inbox', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const plan = store.database
      .prepare('EXPLAIN QUERY PLAN SELECT id FROM events WHERE runnable_at <= 0 ORDER BY runnable_at, received_at, id LIMIT 1')
      .all() as { detail: string }[];
    assert.ok(
      plan.some((step) => /USING INDEX events_claim/.test(step.detail)),
      JSON.stringify(plan),
    );
    await store.close();
  });
});

describe('SqliteStore lists by entity', () => {
  // Without statistics SQLite ranked `source = ?` like `entity_key = ?` and walked every event
  // of the source: the Facturador's reversal look-up (one a payment) grew with the database.
  it('finds an entity through events_entity, not a walk of its source, for the page and the count', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const ctx = new SqliteContext(store.database, { intervalMs: 0 });
    const filter = { source: 'epayco', entityKey: 'INV-1', transactionStatus: 'reversed' as const };
    for (const { sql, params } of [listEventsQuery(ctx, filter), countEventsQuery(filter)]) {
      const plan = store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      assert.match(plan.map((step) => step.detail).join('; '), /USING (COVERING )?INDEX events_entity \(entity_key=\?\)/);
    }
    await store.close();
  });

  it('lists and counts the same events of an entity as before, among many of its source', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const transactionStatus: TransactionStatus = i % 3 === 0 ? 'reversed' : 'accepted';
      const { event } = await store.insertEvent(newEvent({ entityKey: `INV-${i % 5}`, transactionStatus }));
      if (i % 5 === 0 && transactionStatus === 'reversed') ids.push(event.id);
    }
    const filter = { source: 'epayco', entityKey: 'INV-0', transactionStatus: 'reversed' as const };
    const page = await store.listEvents(filter, { limit: 1 });
    assert.deepEqual(
      page.items.map((e) => e.id),
      [ids[1]],
    );
    const rest = await store.listEvents(filter, { limit: 10, cursor: page.nextCursor! });
    assert.deepEqual(
      rest.items.map((e) => e.id),
      [ids[0]],
    );
    assert.equal(await store.countEvents(filter), 2);
    assert.equal(await store.countEvents({ ...filter, text: 'ana' }), 2);
    await store.close();
  });
});

describe('SqliteStore migration 0003', () => {
  it('turns a product stored as a bare name into { name }, leaving other summaries alone', async () => {
    const temp = tempDatabaseDir();
    const file = join(temp.dir, 'v2.db');
    // The database as a webpig before 0003 left it, with what it wrote.
    const old = sqliteAtVersion(file, 2);
    const event = (providerEventId: string, summary: string) =>
      insertLegacyEvent(old, { providerEventId, rawBody: Buffer.from('{}'), payload: '{}', summary });
    const legacy = event('legacy', '{"product":"Plan añual","amount":5}');
    const current = event('current', '{"product":{"name":"Curso","id":"C-1"}}');
    const none = event('none', '{"amount":7}');
    old.close();
    const store = SqliteStore.open(`sqlite:${file}`);
    try {
      assert.deepEqual(await store.migrate(), { applied: ALL.slice(2), current: LATEST });
      assert.equal(ALL[2], '0003_product_object');
      assert.deepEqual((await store.getEvent(legacy))?.summary, { product: { name: 'Plan añual' }, amount: 5 });
      assert.deepEqual((await store.getEvent(current))?.summary, { product: { name: 'Curso', id: 'C-1' } });
      assert.deepEqual((await store.getEvent(none))?.summary, { amount: 7 });
    } finally {
      await store.close();
      temp.remove();
    }
  });
});

describe('SqliteStore on a file', () => {
  it('opens with WAL and synchronous=FULL (every commit synced before a webhook is acknowledged)', async () => {
    // The SIGKILL crash test cannot tell FULL from NORMAL (the OS keeps the page cache); this can.
    const temp = tempDatabaseDir();
    try {
      const store = SqliteStore.open(`sqlite:${join(temp.dir, 'settings.db')}`);
      try {
        const setting = (name: string): unknown => store.database.pragma(name, { simple: true });
        assert.equal(setting('journal_mode'), 'wal');
        assert.equal(setting('synchronous'), 2, '2 is FULL');
        assert.equal(setting('foreign_keys'), 1);
        assert.equal(setting('wal_autocheckpoint'), 10_000);
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('migrates an empty file, and migrating again (even from another connection) changes nothing', async () => {
    const temp = tempDatabaseDir();
    try {
      const url = `sqlite:${join(temp.dir, 'fresh.db')}`;
      const first = SqliteStore.open(url);
      const result = await first.migrate();
      assert.deepEqual(result, { applied: ALL, current: LATEST });
      const tables = (
        first.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
      ).map((t) => t.name);
      for (const table of [
        'events',
        'checkpoints',
        'checkpoint_attempts',
        'event_logs',
        'entity_states',
        'flags',
        'flag_changes',
        'audit_log',
        'api_tokens',
        'sessions',
        'rejected_deliveries',
        'alerts',
        'webpig_migrations',
      ]) {
        assert.ok(tables.includes(table), `table ${table} exists`);
      }
      const schemaBefore = first.database.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
      const versionsBefore = first.database.prepare('SELECT * FROM webpig_migrations').all();
      assert.deepEqual(await first.migrate(), { applied: [], current: LATEST });
      const second = SqliteStore.open(url);
      assert.deepEqual(await second.migrate(), { applied: [], current: LATEST });
      assert.deepEqual(second.database.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(), schemaBefore);
      assert.deepEqual(second.database.prepare('SELECT * FROM webpig_migrations').all(), versionsBefore);
      assert.equal(first.database.pragma('journal_mode', { simple: true }), 'wal');
      await first.close();
      await second.close();
    } finally {
      temp.remove();
    }
  });

  it('keeps events across reopening the file', async () => {
    const temp = tempDatabaseDir();
    try {
      const url = `sqlite:${join(temp.dir, 'durable.db')}`;
      const writer = SqliteStore.open(url);
      await writer.migrate();
      const { event } = await writer.insertEvent({
        source: 'stripe',
        providerEventId: 'evt_1',
        entityKey: 'pi_1',
        type: 'payment_intent.succeeded',
        transactionStatus: 'accepted',
        occurredAt: new Date(1_000),
        receivedAt: new Date(2_000),
        rawBody: Buffer.from('{"id":"evt_1"}'),
        contentType: 'application/json',
        payload: { id: 'evt_1' },
        summary: {},
      });
      await writer.close();
      const reader = SqliteStore.open(url);
      assert.deepEqual(await reader.getEvent(event.id), event);
      await reader.close();
    } finally {
      temp.remove();
    }
  });
});
