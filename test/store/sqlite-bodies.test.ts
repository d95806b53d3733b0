import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/core/errors.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { insertLegacyEvent, sqliteAtVersion, tempDatabaseDir, type LegacyEvent } from '../helpers/sqlite.js';
import { at, claim, newEvent } from './contract-fixtures.js';

/**
 * SQLite keeps an event's body in event_bodies, written once (migration 0005): an update of
 * the event must not write the body again, deleting the event deletes it, and a database
 * migrated from 0004 reads every body back byte for byte.
 */

const LATEST = sqliteMigrations().length;
const columnsOf = (store: SqliteStore, table: string) =>
  (store.database.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);

describe('SQLite migration 0005 (event bodies)', () => {
  it('moves every body of a 0004 database out of events, byte-identical, and migrating again changes nothing', async () => {
    const temp = tempDatabaseDir();
    const file = join(temp.dir, 'v4.db');
    const old = sqliteAtVersion(file, 4);
    const legacy: LegacyEvent[] = [
      // Bytes that are not UTF-8 (a NUL, a lone 0xff), a large random body, an empty one, Latin-1.
      { providerEventId: 'binary', rawBody: Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]), payload: '{"a":"\\u0000"}', summary: '{}' },
      { providerEventId: 'large', rawBody: randomBytes(40_000), payload: JSON.stringify({ blob: 'x'.repeat(30_000) }), summary: '{}' },
      { providerEventId: 'empty', rawBody: Buffer.alloc(0), payload: '{}', summary: '{}' },
      {
        providerEventId: 'latin1',
        rawBody: Buffer.from('x_name=Pe%F1a&n=\xf1', 'latin1'),
        payload: '{"x_name":"Peña 🐷"}',
        summary: '{"amount":5}',
      },
    ];
    const ids = legacy.map((event) => insertLegacyEvent(old, event));
    old.close();

    const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
    try {
      assert.deepEqual(await store.migrate(), {
        applied: [
          '0005_event_bodies',
          '0006_alert_ack',
          '0007_stage_exchanges',
          '0008_alert_issues',
          '0009_event_handled',
          '0010_reconciliation',
          '0011_search_trigrams',
          '0012_search_after_commit',
          '0013_drop_checkpoints_status',
          '0014_search_text_folded',
          '0015_reconciliation_coverage',
          '0016_reconciliation_run_claim',
          '0017_reconciliation_first_started',
        ],
        current: LATEST,
      });
      assert.ok(!columnsOf(store, 'events').includes('raw_body') && !columnsOf(store, 'events').includes('payload'));
      assert.deepEqual(columnsOf(store, 'event_bodies'), ['event_id', 'raw_body', 'payload']);
      const readBack = async () => {
        for (const [i, event] of legacy.entries()) {
          const record = await store.getEvent(ids[i] as number);
          assert.ok(record, event.providerEventId);
          assert.ok(Buffer.isBuffer(record.rawBody));
          assert.equal(record.rawBody.toString('hex'), event.rawBody.toString('hex'), `${event.providerEventId}: raw body bytes`);
          assert.deepEqual(record.payload, JSON.parse(event.payload), `${event.providerEventId}: payload`);
          assert.deepEqual(record.summary, JSON.parse(event.summary));
        }
        const listed = (await store.listEvents({})).items;
        assert.deepEqual(
          listed.map((e) => e.rawBody.toString('hex')),
          legacy.map((e) => e.rawBody.toString('hex')).reverse(),
        );
      };
      await readBack();
      assert.deepEqual(store.database.pragma('foreign_key_check'), []);
      assert.deepEqual(store.database.pragma('integrity_check'), [{ integrity_check: 'ok' }]);

      const schema = store.database.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
      const bodies = store.database.prepare('SELECT event_id, hex(raw_body) AS body, payload FROM event_bodies ORDER BY event_id').all();
      assert.deepEqual(await store.migrate(), { applied: [], current: LATEST });
      assert.deepEqual(store.database.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(), schema);
      assert.deepEqual(
        store.database.prepare('SELECT event_id, hex(raw_body) AS body, payload FROM event_bodies ORDER BY event_id').all(),
        bodies,
      );
      await readBack();

      // Migrated events go on through the worker's path with their bodies.
      const claimed = await claim(store, 'w', at(0));
      assert.equal(claimed?.rawBody.toString('hex'), legacy[0]?.rawBody.toString('hex'));
    } finally {
      await store.close();
      temp.remove();
    }
  });
});

describe('SQLite event bodies', () => {
  it('an event whose body row is gone is an error naming it, not an event with an empty body', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      const { event } = await store.insertEvent(newEvent());
      store.database.prepare('DELETE FROM event_bodies WHERE event_id = ?').run(event.id);
      await assert.rejects(store.getEvent(event.id), (err: unknown) => err instanceof StoreError && err.code === 'EVENT_BODY_MISSING');
    } finally {
      await store.close();
    }
  });

  it('retention deletes the bodies of the events it deletes (no orphans)', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
    try {
      const kept = (await store.insertEvent(newEvent({ receivedAt: at(0) }))).event.id;
      const purged = (await store.insertEvent(newEvent({ receivedAt: at(0) }))).event.id;
      // Claims take the oldest first: the first claimed is `kept`, left processing.
      assert.equal((await claim(store, 'w', at(0)))?.id, kept);
      assert.equal((await claim(store, 'w', at(0)))?.id, purged);
      await store.finishEvent({ eventId: purged, leaseOwner: 'w', status: 'succeeded', now: at(0) });
      assert.equal(await store.purgeBatch('succeededEvents', at(1), 10), 1);
      const bodies = store.database.prepare('SELECT event_id FROM event_bodies').all();
      assert.deepEqual(bodies, [{ event_id: kept }]);
    } finally {
      await store.close();
    }
  });

  it('claiming, renewing and finishing an event write its row to the WAL, not its body', async () => {
    const temp = tempDatabaseDir();
    const file = join(temp.dir, 'wal.db');
    // No timer checkpoints: the WAL only grows, so its size is what was written.
    const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
    try {
      await store.migrate();
      const body = randomBytes(200_000).toString('base64'); // ~267 KB of body and as much payload
      const { event } = await store.insertEvent(
        newEvent({ rawBody: Buffer.from(body), payload: { body }, receivedAt: at(0), occurredAt: at(0) }),
      );
      store.database.pragma('wal_checkpoint(TRUNCATE)');
      assert.equal(statSync(`${file}-wal`).size, 0);
      const claimed = await claim(store, 'w', at(0));
      assert.equal(claimed?.rawBody.toString(), body);
      assert.ok(await store.renewLease(event.id, 'w', 60_000, at(1)));
      const finished = await store.finishEvent({ eventId: event.id, leaseOwner: 'w', status: 'succeeded', now: at(2) });
      assert.deepEqual(finished.payload, { body });
      const written = statSync(`${file}-wal`).size;
      // Three small row updates: a handful of 4 KB pages each. A body rewrite would be > 500 KB.
      assert.ok(written < 64 * 1024, `WAL grew ${written} bytes for three updates of one event`);
    } finally {
      await store.close();
      temp.remove();
    }
  });
});
