/**
 * PostgreSQL's trigram index of the text search (migration 0011): pg_trgm's GIN index on
 * search_text, built over the events already stored, answers the list's LIKE with a bitmap
 * index scan; where pg_trgm cannot be installed the migration still succeeds, warns, and the
 * search scans with the same results.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pg from 'pg';
import { eventFilterSql } from '../../src/store/postgres/events.js';
import { migratePostgres, postgresMigrations } from '../../src/store/postgres/migrate.js';
import { refoldingNotice } from '../../src/store/search-text.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { newEvent, postgresSkip, postgresUrl, queryIn, withTestSchema } from '../helpers/postgres.js';

const skip = await postgresSkip();

/** The statements of docs/deploy.md's SQL block that adds the search index by hand. */
function deployDocsSql(): string[] {
  const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const block = /\*\*The text search's index\*\*[\s\S]*?```sql\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(block !== undefined, "docs/deploy.md has the text search index's SQL block");
  return block
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

/** The list's page query for `text`, as the store builds its WHERE clause, with the planner kept off a plain scan. */
async function explainSearch(url: string, schema: string, text: string): Promise<{ plan: string; ids: number[] }> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    // A test table is tiny: without this, scanning it is cheapest and no index is ever chosen.
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_indexscan = off');
    const params: unknown[] = [];
    const where = eventFilterSql({ text }, params);
    const sql = `SELECT e.id FROM events e WHERE ${where} ORDER BY e.id DESC LIMIT 51`;
    const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
    const ids = (await client.query<{ id: string }>(sql, params)).rows.map((r) => Number(r.id));
    return { plan, ids };
  } finally {
    await client.end();
  }
}

describe('PostgreSQL text search index (0011)', { skip }, () => {
  const schemas = withTestSchema();

  it('builds the trigram index over the events already stored; the list search is a bitmap index scan', async () => {
    const { url, schema } = await schemas.create();
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    const store = await PostgresStore.open(url);
    try {
      await migratePostgres(pool, schema, postgresMigrations().slice(0, 10));
      const stored = await store.insertEvents([
        newEvent('evt-1', { summary: { customer: { name: 'Zoe Rareza' } } }),
        newEvent('evt-2', { summary: { customer: { name: 'Juan Pérez', email: 'o"brien_100%@example.com' } } }),
        newEvent('evt-3', { summary: { customer: { name: 'María Gómez', phone: '300 123 4567', documentId: '1.020.304.050' } } }),
      ]);
      const [zoe, juan, maria] = stored.map((r) => r.event.id);
      const warnings: string[] = [];
      await migratePostgres(pool, schema, postgresMigrations(), (line) => warnings.push(line));
      // No pg_trgm warning: the index is built. The one line is 0016 saying what it refolds.
      assert.deepEqual(warnings, [refoldingNotice('0016_search_text_folded', 3)]);
      const indexes = await queryIn<{ indexdef: string }>(
        schema,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_search_trgm'",
        [schema],
      );
      assert.match(indexes[0]?.indexdef ?? '', /USING gin \(search_text \w+\.gin_trgm_ops\)/);

      for (const [text, expected] of [
        ['RAREZA', [zoe]],
        ['pérez', [juan]],
        ['_100%', [juan]],
        ['o"bri', [juan]],
        ['0%@', [juan]],
        ['nadie', []],
        // folded terms (search-text.ts) are plain LIKEs on the folded text: the same index answers them
        ['Maria Gomez', [maria]],
        ['+57 300 123 4567', [maria]],
        ['CC 1.020.304.050', [maria]],
      ] as const) {
        const { plan, ids } = await explainSearch(postgresUrl(), schema, text);
        assert.match(plan, /Bitmap Index Scan on events_search_trgm/, `q=${text}:\n${plan}`);
        assert.deepEqual(ids, expected, `q=${text}`);
      }
      assert.deepEqual(
        (await store.listEvents({ text: 'rareza' })).items.map((e) => e.id),
        [zoe],
      );
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('without pg_trgm the migration still succeeds, says so, and the search scans', async () => {
    // A database of its own with no schema public: CREATE EXTENSION … SCHEMA public fails there,
    // as it does where the role may not install extensions.
    const database = `webpig_test_trgm_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(postgresUrl());
    url.pathname = `/${database}`;
    try {
      const setup = new pg.Client({ connectionString: url.toString() });
      await setup.connect();
      await setup.query('DROP SCHEMA public CASCADE');
      await setup.end();

      const pool = new pg.Pool({ connectionString: url.toString() });
      const warnings: string[] = [];
      try {
        const result = await migratePostgres(pool, 'webpig', postgresMigrations(), (line) => warnings.push(line));
        assert.equal(result.current, postgresMigrations().length);
      } finally {
        await pool.end();
      }
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] ?? '', /^webpig: migration 0011_search_trigrams: webpig: pg_trgm could not be installed .*will scan/);

      url.searchParams.set('schema', 'webpig');
      const store = await PostgresStore.open(url.toString());
      try {
        const [zoe] = (
          await store.insertEvents([newEvent('evt-1', { summary: { customer: { name: 'Zoe Rareza' } } }), newEvent('evt-2')])
        ).map((r) => r.event.id);
        assert.deepEqual(
          (await store.listEvents({ text: 'Rareza' })).items.map((e) => e.id),
          [zoe],
        );
        const { plan } = await explainSearch(url.toString(), 'webpig', 'rareza');
        assert.doesNotMatch(plan, /events_search_trgm/);

        // docs/deploy.md's way to add the index later, run as written once public exists again.
        const fix = new pg.Client({ connectionString: url.toString() });
        await fix.connect();
        try {
          await fix.query('CREATE SCHEMA public');
          for (const statement of deployDocsSql()) await fix.query(statement);
        } finally {
          await fix.end();
        }
        const after = await explainSearch(url.toString(), 'webpig', 'rareza');
        assert.match(after.plan, /Bitmap Index Scan on events_search_trgm/);
        assert.deepEqual(after.ids, [zoe]);
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});
