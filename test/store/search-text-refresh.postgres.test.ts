/**
 * PostgreSQL migration 0016: the events stored before it, whose search text was only
 * lower-cased (accents kept, digits as given, no phone), are found by the folded search after
 * the upgrade; a refresh that stops midway goes on from where it stopped.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { MigrationError } from '../../src/core/errors.js';
import type { EventSummary } from '../../src/core/types.js';
import { migratePostgres, postgresMigrations } from '../../src/store/postgres/migrate.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SEARCH_TEXT_REFRESH_BATCH } from '../../src/store/postgres/search-text-refresh.js';
import { searchText } from '../../src/store/search-text.js';
import { runCli, startCli } from '../helpers/cli.js';
import { newEvent, postgresSkip, postgresUrl, queryIn, withTestSchema } from '../helpers/postgres.js';

const skip = await postgresSkip();

/** The search text as webpig up to 0015 wrote it: its fields lower-cased, the phone left out. */
const OLD_SEARCH_TEXT = `provider_event_id || concat(
  E'\\n' || (summary->'customer'->>'name'), E'\\n' || (summary->'customer'->>'email'),
  E'\\n' || (summary->'customer'->>'documentId'), E'\\n' || (summary->'references'->>'invoice'))`;

async function found(store: PostgresStore, text: string): Promise<number[]> {
  return (await store.listEvents({ text })).items.map((e) => e.id);
}

describe('PostgreSQL migration 0016: the search text of stored events is folded', { skip }, () => {
  const schemas = withTestSchema();

  it(
    'webpig migrate SIGKILLed in the middle of the refold loses nothing: the next migrate folds every event',
    { timeout: 180_000 },
    async () => {
      const { url, schema } = await schemas.create();
      const pool = new pg.Pool({ connectionString: postgresUrl() });
      try {
        const events = 40 * SEARCH_TEXT_REFRESH_BATCH;
        await migratePostgres(pool, schema, postgresMigrations().slice(0, 15));
        // The rows as webpig up to 0015 wrote them, in one statement (through the store, 40,000
        // inserts would take most of the test's time).
        await queryIn(
          schema,
          `INSERT INTO events (source, provider_event_id, type, occurred_at, received_at, raw_body, content_type, payload,
             summary, next_attempt_at, updated_at)
           SELECT 'epayco', 'evt-' || i, 'payment.updated', now(), now(), '\\x7b7d'::bytea, 'application/json', '{}'::jsonb,
                  jsonb_build_object('customer', jsonb_build_object('name', 'María Gómez ' || i, 'phone', '300 123 4567')),
                  now(), now()
             FROM generate_series(1, ${events}) AS i`,
        );
        await queryIn(schema, `UPDATE events SET search_text = lower(${OLD_SEARCH_TEXT})`);

        const reader = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema}` });
        await reader.connect();
        try {
          // Where the refold has got to; undefined before the child has applied 0016, or once done.
          const doneThrough = async (): Promise<number | undefined> => {
            const table = await reader.query<{ found: string | null }>("SELECT to_regclass('search_text_refresh') AS found");
            if (!table.rows[0]?.found) return undefined;
            const row = await reader.query<{ through: string }>('SELECT done_through AS through FROM search_text_refresh');
            return row.rows[0] === undefined ? undefined : Number(row.rows[0].through);
          };
          const migrating = startCli(['--db', url, 'migrate']);
          // Killed once some batches have committed and before the last: a crash between two of them.
          for (let through = 0; !(through > 0); through = (await doneThrough()) ?? 0) {
            if (migrating.child.exitCode !== null) assert.fail('webpig migrate ended before it could be killed mid-refold');
            await sleep(5);
          }
          migrating.child.kill('SIGKILL');
          await once(migrating.child, 'exit');
          const interruptedAt = await doneThrough();
          assert.ok(
            interruptedAt !== undefined && interruptedAt > 0 && interruptedAt < events,
            `killed mid-way (done through ${interruptedAt})`,
          );
          // A new schema's ids run from 1 to the count, so the events after the last committed batch are:
          const ids = await reader.query<{ first: string; last: string }>('SELECT min(id) AS first, max(id) AS last FROM events');
          assert.deepEqual([Number(ids.rows[0]!.first), Number(ids.rows[0]!.last)], [1, events]);

          const again = runCli(['--db', url, 'migrate']);
          assert.equal(again.status, 0, again.stderr);
          assert.match(
            again.stderr,
            new RegExp(`folding the search text of ${events - interruptedAt} stored events`),
            'it goes on from there',
          );
          assert.equal(await doneThrough(), undefined, 'done: nothing left to refresh');
          const rows = (
            await reader.query<{ provider_event_id: string; summary: EventSummary; search_text: string }>(
              'SELECT provider_event_id, summary, search_text FROM events',
            )
          ).rows;
          assert.equal(rows.length, events);
          const stale = rows.filter((row) => row.search_text !== searchText(row.provider_event_id, row.summary));
          assert.deepEqual(stale.slice(0, 3), [], `every event has the folded text (${stale.length} do not)`);
        } finally {
          await reader.end();
        }
      } finally {
        await pool.end();
      }
    },
  );

  it('an event written before the upgrade is found by what the finance person types', async () => {
    const { url, schema } = await schemas.create();
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    const store = await PostgresStore.open(url);
    try {
      await migratePostgres(pool, schema, postgresMigrations().slice(0, 15));
      const [maria, luis] = (
        await store.insertEvents([
          newEvent('evt-maria', {
            summary: {
              customer: { name: 'María Gómez', phone: '300 123 4567', documentId: '1.020.304.050', email: 'maria@correo.co' },
              references: { invoice: 'FV-9001' },
            },
          }),
          newEvent('evt-luis', { summary: { customer: { name: 'Luis Peña', documentId: '7788' } } }),
        ])
      ).map((r) => r.event.id);
      await queryIn(schema, `UPDATE events SET search_text = lower(${OLD_SEARCH_TEXT})`);
      assert.deepEqual(await found(store, 'Maria Gomez'), [], 'before the upgrade: the defect');

      const said: string[] = [];
      await migratePostgres(pool, schema, postgresMigrations(), (line) => said.push(line));
      // The operator is told what the wait is before it starts (a million events take about a minute).
      assert.deepEqual(said, [
        'webpig: migration 0016_search_text_folded: folding the search text of 2 stored events (about a minute a million); ' +
          'webpig goes on when it is done, and a stopped run resumes where it was',
      ]);
      for (const typed of ['Maria Gomez', 'MARÍA GÓMEZ', '+57 300 123 4567', '300 123 4567', 'CC 1.020.304.050', 'fv-9001']) {
        assert.deepEqual(await found(store, typed), [maria], `q=${typed}`);
      }
      assert.deepEqual(await found(store, 'luis pena'), [luis]);
      assert.deepEqual(await found(store, '300 124'), []);
      assert.deepEqual(await queryIn(schema, 'SELECT * FROM search_text_refresh'), [], 'done: nothing left to refresh');
      await migratePostgres(pool, schema, postgresMigrations(), (line) => said.push(line));
      assert.equal(said.length, 1, 'a later start says nothing of it');
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('a refresh that fails midway keeps the batches done, says so, and the next migrate goes on from there', async () => {
    const { url, schema } = await schemas.create();
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    const store = await PostgresStore.open(url);
    try {
      await migratePostgres(pool, schema, postgresMigrations().slice(0, 15));
      const events = Array.from({ length: SEARCH_TEXT_REFRESH_BATCH + 1 }, (_, i) =>
        newEvent(`evt-${String(i).padStart(5, '0')}`, { summary: { customer: { name: `Ñandú ${i}` } } }),
      );
      const ids = (await store.insertEvents(events)).map((r) => r.event.id).sort((a, b) => a - b);
      await queryIn(schema, `UPDATE events SET search_text = lower(${OLD_SEARCH_TEXT})`);
      const last = ids.at(-1)!;
      // The process dies in the second batch: its last event cannot be written.
      await queryIn(
        schema,
        `CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$;
         CREATE TRIGGER die BEFORE UPDATE OF search_text ON events FOR EACH ROW WHEN (NEW.id = ${last}) EXECUTE FUNCTION die()`,
      );
      await assert.rejects(
        migratePostgres(pool, schema, postgresMigrations()),
        (err: unknown) =>
          err instanceof MigrationError &&
          err.code === 'MIGRATION_FAILED' &&
          err.message.includes(`0016_search_text_folded: rewriting the search text of the events after id ${last - 1} failed`) &&
          err.message.includes('migrating again'),
      );
      assert.deepEqual(await queryIn(schema, 'SELECT id, done_through::int AS done_through FROM search_text_refresh'), [
        { id: 1, done_through: last - 1 },
      ]);
      assert.deepEqual(await found(store, 'nandu 0'), [ids[0]], 'the first batch is committed');
      assert.deepEqual(await found(store, `nandu ${SEARCH_TEXT_REFRESH_BATCH}`), [], 'the failed batch is not');

      await queryIn(schema, 'DROP TRIGGER die ON events');
      await migratePostgres(pool, schema, postgresMigrations());
      assert.deepEqual(await queryIn(schema, 'SELECT * FROM search_text_refresh'), []);
      assert.deepEqual(await found(store, `NANDU ${SEARCH_TEXT_REFRESH_BATCH}`), [last]);
      assert.equal(await store.countEvents({ text: 'ñandu' }), ids.length);
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
