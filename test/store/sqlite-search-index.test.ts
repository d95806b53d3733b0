/**
 * SQLite's trigram index of the text search (migration 0011, `events_search`): the migration
 * indexes the events already stored; an indexer adds new events after their commit (0012, also
 * after a crash, by the next process); summary patches and purges keep it in step
 * (FTS5's own integrity-check compares it with the events); a term too common for the index
 * is found by walking the table, with the same result page by page.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { EventFilter } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { cleanEnv } from '../helpers/clean-env.js';
import { sqliteAtVersion, tempDatabaseDir } from '../helpers/sqlite.js';
import { at, claim, newEvent } from './contract-fixtures.js';

const CHILD = fileURLToPath(new URL('../helpers/sqlite-child.ts', import.meta.url));

/** The rowids the index itself holds for a substring, newest first. */
function indexed(store: SqliteStore, term: string): number[] {
  return (
    store.database.prepare('SELECT rowid FROM events_search WHERE events_search MATCH ? ORDER BY rowid DESC').all(`"${term}"`) as Array<{
      rowid: number;
    }>
  ).map((row) => row.rowid);
}

/** Throws when the index and the events it indexes differ. */
function integrityCheck(store: SqliteStore): void {
  store.database.prepare("INSERT INTO events_search (events_search, rank) VALUES ('integrity-check', 1)").run();
}

/** Waits for the indexer's timer to have done its work (bounded, so a broken indexer fails the test). */
async function until(done: () => boolean): Promise<void> {
  for (let tries = 0; !done(); tries++) {
    if (tries >= 500) throw new Error('the search indexer did not run');
    await delay(10);
  }
}

async function listedIds(store: SqliteStore, filter: EventFilter, limit: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<SqliteStore['listEvents']>> = await store.listEvents(filter, { limit, cursor });
    ids.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

describe('SQLite text search index (0011, written after the commit since 0012)', () => {
  it('indexes the events stored before the migration', async () => {
    const temp = tempDatabaseDir('webpig-search-');
    try {
      const file = join(temp.dir, 'v10.db');
      const old = sqliteAtVersion(file, 10);
      const insert = old.db.prepare(
        `INSERT INTO events (source, provider_event_id, type, occurred_at, received_at, content_type, summary, search_text,
           status, next_attempt_at, updated_at)
         VALUES ('epayco', ?, 'payment.updated', 0, 0, 'application/json', ?, ?, 'queued', 0, 0) RETURNING id`,
      );
      const body = old.db.prepare("INSERT INTO event_bodies (event_id, raw_body, payload) VALUES (?, CAST('{}' AS BLOB), '{}')");
      const ids = ['zoe rareza', 'juan pérez', 'otra rareza'].map((text, i) => {
        // The search text as webpig then wrote it (lower-cased); 0014 folds it from the summary.
        const { id } = insert.get(`evt-${i}`, JSON.stringify({ customer: { name: text } }), `evt-${i}\n${text}`) as { id: number };
        body.run(id);
        return id;
      });
      old.close();

      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        await store.migrate();
        assert.deepEqual(indexed(store, 'rareza'), [ids[2], ids[0]]);
        assert.deepEqual(indexed(store, 'perez'), [ids[1]]);
        integrityCheck(store);
        assert.deepEqual(
          (await store.listEvents({ text: 'RAREZA' })).items.map((e) => e.id),
          [ids[2], ids[0]],
        );
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('inserts, summary patches and retention purges keep the index in step', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    try {
      await store.migrate();
      const { event } = await store.insertEvent(newEvent({ summary: { customer: { name: 'Zoe Rareza' } } }));
      await store.insertEvent(newEvent({ summary: { customer: { name: 'Luis Gómez' } } }));
      assert.deepEqual(indexed(store, 'rareza'), [], 'indexed after the commit, not in it (0012)');
      assert.equal(store.indexSearchNow(), 2);
      assert.deepEqual(indexed(store, 'rareza'), [event.id]);
      assert.equal(store.indexSearchNow(), 0, 'an event is indexed once');
      integrityCheck(store);

      assert.equal((await claim(store, 'w', at(0)))?.id, event.id);
      await store.recordStageStart({ eventId: event.id, stage: 'invoice', leaseOwner: 'w', attempt: 1, startedAt: at(0) });
      await store.recordStageOutcome({
        eventId: event.id,
        stage: 'invoice',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(0),
        completedAt: at(1),
        outcome: { status: 'success', data: null },
        summaryPatch: { references: { invoice: 'FV-7777' } },
      });
      assert.deepEqual(indexed(store, 'fv-7777'), [event.id], 'a summary patch is searchable');
      integrityCheck(store);
      assert.deepEqual(
        (await store.listEvents({ text: 'FV-7777' })).items.map((e) => e.id),
        [event.id],
      );

      await store.finishEvent({ eventId: event.id, leaseOwner: 'w', status: 'succeeded', now: at(2) });
      assert.equal(await store.purgeBatch('succeededEvents', at(60_000), 500), 1);
      assert.deepEqual(indexed(store, 'rareza'), [], 'a purged event leaves the index');
      assert.deepEqual(indexed(store, 'fv-7777'), []);
      integrityCheck(store);
      assert.equal(indexed(store, 'gomez').length, 1, 'the index holds the folded text (search-text.ts)');
    } finally {
      await store.close();
    }
  });

  it('an event patched or purged before it is indexed: indexed with its new text, or not at all', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    try {
      await store.migrate();
      const { event: patched } = await store.insertEvent(newEvent({ summary: { customer: { name: 'Zoe Rareza' } } }));
      const { event: purged } = await store.insertEvent(newEvent({ summary: { customer: { name: 'Ana Purgada' } } }));
      for (const event of [patched, purged]) assert.equal((await claim(store, 'w', at(0)))?.id, event.id);
      await store.recordStageOutcome({
        eventId: patched.id,
        stage: 'invoice',
        leaseOwner: 'w',
        attempt: 1,
        startedAt: at(0),
        completedAt: at(1),
        outcome: { status: 'success', data: null },
        summaryPatch: { references: { invoice: 'FV-8888' } },
      });
      assert.deepEqual(
        (await store.listEvents({ text: 'fv-8888' })).items.map((e) => e.id),
        [patched.id],
        'found before it is indexed',
      );
      await store.finishEvent({ eventId: purged.id, leaseOwner: 'w', status: 'succeeded', now: at(2) });
      assert.equal(await store.purgeBatch('succeededEvents', at(60_000), 500), 1);
      assert.deepEqual(indexed(store, 'fv-8888'), []);

      assert.equal(store.indexSearchNow(), 1);
      assert.deepEqual(indexed(store, 'fv-8888'), [patched.id]);
      assert.deepEqual(indexed(store, 'purgada'), []);
      integrityCheck(store);
    } finally {
      await store.close();
    }
  });

  it('indexes on its own shortly after an insert', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    try {
      await store.migrate();
      const { event } = await store.insertEvent(newEvent({ summary: { customer: { name: 'Zoe Rareza' } } }));
      await until(() => indexed(store, 'rareza').length > 0);
      assert.deepEqual(indexed(store, 'rareza'), [event.id]);
      integrityCheck(store);
    } finally {
      await store.close();
    }
  });

  it('a process killed before indexing: the next one to open and migrate the file indexes what it left', async () => {
    const temp = tempDatabaseDir('webpig-search-');
    try {
      const file = join(temp.dir, 'killed.db');
      const setup = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      await setup.migrate();
      await setup.close();
      const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'insert-and-die', file, 'Zoe Rareza'], {
        encoding: 'utf8',
        env: cleanEnv(),
      });
      assert.equal(child.signal, 'SIGKILL', child.stderr);
      const { id } = JSON.parse(child.stdout.trim()) as { id: number };

      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        assert.deepEqual(indexed(store, 'rareza'), [], 'the killed process did not index it');
        assert.deepEqual(
          (await store.listEvents({ text: 'rareza' })).items.map((e) => e.id),
          [id],
          'found before it is indexed',
        );
        await store.migrate();
        await until(() => indexed(store, 'rareza').length > 0);
        assert.deepEqual(indexed(store, 'rareza'), [id]);
        integrityCheck(store);
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('a term in 2,000 rows or more walks the table instead, with the same pages', async () => {
    const store = SqliteStore.open('sqlite::memory:');
    try {
      await store.migrate();
      const events = Array.from({ length: 2_100 }, (_, i) =>
        newEvent({
          source: i % 3 === 0 ? 'stripe' : 'epayco',
          summary: { customer: { name: i % 500 === 7 ? 'Zoe Rareza' : 'Juan Pérez', email: `c${i}@example.com` } },
        }),
      );
      const ids = (await store.insertEvents(events)).map((r) => r.event.id);
      const expect = (keep: (i: number) => boolean) => ids.filter((_, i) => keep(i)).reverse();
      // example.com is in every row (the table is walked); rareza in 5 (the index is walked).
      assert.deepEqual(
        await listedIds(store, { text: 'example.com' }, 500),
        expect(() => true),
      );
      assert.deepEqual(
        await listedIds(store, { text: 'EXAMPLE.COM', source: 'stripe' }, 97),
        expect((i) => i % 3 === 0),
      );
      assert.deepEqual(
        await listedIds(store, { text: 'rareza' }, 2),
        expect((i) => i % 500 === 7),
      );
      assert.deepEqual(
        await listedIds(store, { text: 'rareza', source: 'stripe' }, 2),
        expect((i) => i % 500 === 7 && i % 3 === 0),
      );
      assert.equal(await store.countEvents({ text: 'example.com' }), 2_100);
    } finally {
      await store.close();
    }
  });
});
