/**
 * SQLite migration 0014: the events stored before it, whose search text was only lower-cased
 * (accents kept, digits as given, no phone), are found by the folded search after the upgrade,
 * through the trigram index too; a refresh that stops midway goes on from where it stopped.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { MigrationError } from '../../src/core/errors.js';
import type { EventSummary } from '../../src/core/types.js';
import type { SqliteContext } from '../../src/store/sqlite/connection.js';
import { indexPendingSearch } from '../../src/store/sqlite/search-index.js';
import { SEARCH_TEXT_REFRESH_BATCH } from '../../src/store/sqlite/search-text-refresh.js';
import { openSqliteDatabase } from '../../src/store/sqlite/connection.js';
import { searchText } from '../../src/store/search-text.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, startCli } from '../helpers/cli.js';
import { sqliteAtVersion, tempDatabaseDir } from '../helpers/sqlite.js';

const MARIA: EventSummary = {
  customer: { name: 'María Gómez', phone: '300 123 4567', documentId: '1.020.304.050', email: 'maria@correo.co' },
  references: { invoice: 'FV-9001' },
};

/** An event row as webpig up to 0013 wrote it: searchText() then only lower-cased its fields. */
function insertOldEvent(ctx: SqliteContext, providerEventId: string, summary: EventSummary): number {
  const customer = summary.customer ?? {};
  const oldText = [providerEventId, customer.name, customer.email, customer.documentId, ...Object.values(summary.references ?? {})]
    .filter((part) => part !== undefined)
    .join('\n')
    .toLowerCase();
  const { id } = ctx.db
    .prepare(
      `INSERT INTO events (source, provider_event_id, type, occurred_at, received_at, content_type, summary, search_text,
         status, next_attempt_at, updated_at)
       VALUES ('epayco', ?, 'payment.updated', 0, 0, 'application/json', ?, ?, 'queued', 0, 0) RETURNING id`,
    )
    .get(providerEventId, JSON.stringify(summary), oldText) as { id: number };
  ctx.db.prepare("INSERT INTO event_bodies (event_id, raw_body, payload) VALUES (?, CAST('{}' AS BLOB), '{}')").run(id);
  return id;
}

/** The rowids the trigram index itself holds for a substring, newest first. */
function indexed(store: SqliteStore, term: string): number[] {
  const rows = store.database.prepare('SELECT rowid FROM events_search WHERE events_search MATCH ? ORDER BY rowid DESC').all(`"${term}"`);
  return (rows as Array<{ rowid: number }>).map((row) => row.rowid);
}

async function found(store: SqliteStore, text: string): Promise<number[]> {
  return (await store.listEvents({ text })).items.map((e) => e.id);
}

function refreshLeft(store: SqliteStore): unknown[] {
  return store.database.prepare('SELECT id, done_through FROM search_text_refresh').all();
}

describe('SQLite migration 0014: the search text of stored events is folded', () => {
  it(
    'webpig migrate SIGKILLed in the middle of the refold loses nothing: the next migrate folds every event',
    { timeout: 120_000 },
    async () => {
      const temp = tempDatabaseDir('webpig-refresh-kill-');
      try {
        const file = join(temp.dir, 'v13.db');
        const events = 40 * SEARCH_TEXT_REFRESH_BATCH;
        const old = sqliteAtVersion(file, 13);
        old.db.transaction(() => {
          for (let i = 1; i <= events; i++)
            insertOldEvent(old, `evt-${i}`, { customer: { name: `María Gómez ${i}`, phone: '300 123 4567' } });
        })();
        old.close();

        const reader = openSqliteDatabase(file);
        // Where the refold has got to; undefined before the child has applied 0014, or once done.
        const doneThrough = (): number | undefined => {
          const table = reader.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_text_refresh'").get();
          if (table === undefined) return undefined;
          return (reader.prepare('SELECT done_through AS through FROM search_text_refresh').get() as { through: number } | undefined)
            ?.through;
        };
        const migrating = startCli(['--db', `sqlite:${file}`, 'migrate']);
        // Killed once some batches have committed and before the last: a crash between two of them.
        for (let through = 0; !(through > 0); through = doneThrough() ?? 0) await sleep(5);
        migrating.child.kill('SIGKILL');
        await once(migrating.child, 'exit');
        const interruptedAt = doneThrough();
        assert.ok(
          interruptedAt !== undefined && interruptedAt > 0 && interruptedAt < events,
          `killed mid-way (done through ${interruptedAt})`,
        );

        const again = runCli(['--db', `sqlite:${file}`, 'migrate']);
        assert.equal(again.status, 0, again.stderr);
        assert.match(
          again.stderr,
          new RegExp(`folding the search text of ${events - interruptedAt} stored events`),
          'it goes on from there',
        );
        assert.equal(doneThrough(), undefined, 'done: nothing left to refresh');
        const rows = reader.prepare('SELECT provider_event_id, summary, search_text FROM events').all() as Array<{
          provider_event_id: string;
          summary: string;
          search_text: string;
        }>;
        assert.equal(rows.length, events);
        const stale = rows.filter((row) => row.search_text !== searchText(row.provider_event_id, JSON.parse(row.summary) as EventSummary));
        assert.deepEqual(stale, [], 'every event has the folded text');
        reader.close();
      } finally {
        temp.remove();
      }
    },
  );

  it('webpig migrate says how many events it folds before it starts, and a later run says nothing of it', () => {
    const temp = tempDatabaseDir('webpig-refresh-');
    try {
      const file = join(temp.dir, 'v13.db');
      const old = sqliteAtVersion(file, 13);
      insertOldEvent(old, 'evt-maria', MARIA);
      insertOldEvent(old, 'evt-luis', { customer: { name: 'Luis Peña', documentId: '7788' } });
      old.close();
      const first = runCli(['--db', `sqlite:${file}`, 'migrate']);
      assert.equal(first.status, 0, first.stderr);
      assert.match(
        first.stderr,
        /^webpig: migration 0014_search_text_folded: folding the search text of 2 stored events \(about a minute a million\); webpig goes on when it is done/m,
      );
      assert.match(first.stdout, /0014_search_text_folded/);
      const again = runCli(['--db', `sqlite:${file}`, 'migrate']);
      assert.equal(again.status, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /folding/);
    } finally {
      temp.remove();
    }
  });

  it('an event written before the upgrade is found by what the finance person types, through the index', async () => {
    const temp = tempDatabaseDir('webpig-refresh-');
    try {
      const file = join(temp.dir, 'v13.db');
      const old = sqliteAtVersion(file, 13);
      const maria = insertOldEvent(old, 'evt-maria', MARIA);
      const luis = insertOldEvent(old, 'evt-luis', { customer: { name: 'Luis Peña', documentId: '7788' } });
      indexPendingSearch(old); // indexed by the old webpig: the rewrite must replace its trigrams
      old.close();

      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        assert.deepEqual(await found(store, 'Maria Gomez'), [], 'before the upgrade: the defect');
        await store.migrate();
        for (const typed of ['Maria Gomez', 'MARÍA GÓMEZ', '+57 300 123 4567', '300 123 4567', 'CC 1.020.304.050', 'fv-9001']) {
          assert.deepEqual(await found(store, typed), [maria], `q=${typed}`);
        }
        assert.deepEqual(await found(store, 'luis pena'), [luis]);
        assert.deepEqual(await found(store, '300 124'), []);
        assert.deepEqual(refreshLeft(store), [], 'done: nothing left to refresh');
        assert.deepEqual(indexed(store, 'maria gomez'), [maria], 'the index holds the folded text');
        assert.deepEqual(indexed(store, 'maría'), [], 'and no longer the old one');
        store.database.prepare("INSERT INTO events_search (events_search, rank) VALUES ('integrity-check', 1)").run();
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('a refresh that fails midway keeps the batches done, says so, and the next migrate goes on from there', async () => {
    const temp = tempDatabaseDir('webpig-refresh-');
    try {
      const file = join(temp.dir, 'v13.db');
      const old = sqliteAtVersion(file, 13);
      const ids: number[] = [];
      old.immediate(() => {
        for (let i = 0; i <= SEARCH_TEXT_REFRESH_BATCH; i++)
          ids.push(insertOldEvent(old, `evt-${i}`, { customer: { name: `Ñandú ${i}` } }));
      });
      old.close();
      const first = ids[0]!;
      const last = ids.at(-1)!;

      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        // The process dies in the second batch: its last event cannot be written.
        store.database.exec(
          `CREATE TEMP TRIGGER die_in_second_batch BEFORE UPDATE OF search_text ON main.events WHEN new.id = ${last}
           BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`,
        );
        await assert.rejects(
          store.migrate(),
          (err: unknown) =>
            err instanceof MigrationError &&
            err.code === 'MIGRATION_FAILED' &&
            err.message.includes(`0014_search_text_folded: rewriting the search text of the events after id ${last - 1} failed`) &&
            err.message.includes('migrating again'),
        );
        assert.deepEqual(refreshLeft(store), [{ id: 1, done_through: last - 1 }]);
        assert.deepEqual(await found(store, 'nandu 0'), [first], 'the first batch is committed');
        assert.deepEqual(await found(store, `nandu ${SEARCH_TEXT_REFRESH_BATCH}`), [], 'the failed batch is not');

        store.database.exec('DROP TRIGGER temp.die_in_second_batch');
        await store.migrate();
        assert.deepEqual(refreshLeft(store), []);
        assert.deepEqual(await found(store, `NANDU ${SEARCH_TEXT_REFRESH_BATCH}`), [last]);
        assert.equal(await store.countEvents({ text: 'ñandu' }), ids.length);
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });
});
