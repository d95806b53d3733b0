import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { recordAppliedMigration, tempDatabaseDir } from '../helpers/sqlite.js';
import { storeContract } from './contract.js';

storeContract('sqlite (in memory)', async () => {
  const store = SqliteStore.open('sqlite::memory:');
  return {
    store,
    cleanup: () => store.close(),
    recordAppliedMigration: async (version, name) => recordAppliedMigration(store, version, name),
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
  };
});

describe('SqliteStore on a file', () => {
  it('migrates an empty file, and migrating again (even from another connection) changes nothing', async () => {
    const temp = tempDatabaseDir();
    try {
      const url = `sqlite:${join(temp.dir, 'fresh.db')}`;
      const first = SqliteStore.open(url);
      const result = await first.migrate();
      assert.deepEqual(result, { applied: ['0001_init'], current: 1 });
      const tables = (first.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
        (t) => t.name,
      );
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
      assert.deepEqual(await first.migrate(), { applied: [], current: 1 });
      const second = SqliteStore.open(url);
      assert.deepEqual(await second.migrate(), { applied: [], current: 1 });
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
