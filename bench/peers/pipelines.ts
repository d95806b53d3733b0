/**
 * The pipeline half of bench/peers.ts: webpig's 10-stage no-op pipeline and DBOS Transact's
 * same shape (one workflow of ten `runStep` no-op steps, each step checkpointed in the system
 * database), on the same PostgreSQL, the same event count, the same concurrency and the same
 * connection pool size.
 *
 * webpig's stages are run declared both ways (`effects`): as stages with effects (each one's
 * `processing` mark durable before it runs, so a crash mid-stage is known and looked up) and as
 * what a no-op is, a stage without effects (no mark; outcomes with the finish; run again after a
 * crash). A DBOS step is of the second kind: it records its output after it ran, and one cut off
 * by a crash runs again; it is recorded before the next step starts, where webpig's outcomes of
 * stages without effects wait for the next write (after a crash all of them since run again).
 */
import { randomBytes } from 'node:crypto';
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import type { StageEffects } from '../../src/core/pipeline.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { noOpPipeline, timeWorkerToAllSucceeded } from '../fixtures.js';

export const STAGES = 10;
/** Connections each system may open: the same for both. */
export const POOL_SIZE = 10;

async function withSchema<T>(url: string, run: (schema: string) => Promise<T>): Promise<T> {
  const schema = `webpig_peers_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    return await run(schema);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

/**
 * Runs `run` against a database of its own, and counts the transactions committed in it
 * (`pg_stat_database.xact_commit`, reads included): other users of the server do not count.
 * The count is read after `run` closed its connections (a backend reports its counts as it exits).
 */
async function withOwnDatabase<T>(url: string, run: (dbUrl: string) => Promise<T>): Promise<{ result: T; commits: number }> {
  const database = `webpig_peers_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const commits = async (): Promise<number> => {
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const row = await admin.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1', [database]);
    return Number(row.rows[0]?.n ?? 0);
  };
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
    const dbUrl = new URL(url);
    dbUrl.pathname = `/${database}`;
    const result = await run(dbUrl.href);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the backends' last reports
    return { result, commits: await commits() };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Events/s and commits an event of webpig's worker in a database of its own (the inserts' commits excluded). */
export async function webpigPipelineCounted(
  url: string,
  events: number,
  concurrency: number,
  effects: StageEffects,
): Promise<{ rate: number; commitsPerEvent: number }> {
  let setup = 0;
  const { result, commits } = await withOwnDatabase(url, (dbUrl) =>
    webpigPipeline(dbUrl, events, concurrency, effects, async () => {
      // What migrating and inserting committed, so that only the run is counted.
      const probe = new pg.Client({ connectionString: dbUrl });
      await probe.connect();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const row = await probe.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
      await probe.end();
      setup = Number(row.rows[0]?.n ?? 0) + 1; // + the probe's own read
    }),
  );
  return { rate: result, commitsPerEvent: (commits - setup) / events };
}

/** Events/s of webpig's worker, timed from start until every inserted event has succeeded. */
export async function webpigPipeline(
  url: string,
  events: number,
  concurrency: number,
  effects: StageEffects,
  beforeStart?: () => Promise<void>,
): Promise<number> {
  return withSchema(url, async (schema) => {
    const store = await PostgresStore.open(url, { schema, poolSize: POOL_SIZE });
    try {
      await store.migrate();
      const { seconds } = await timeWorkerToAllSucceeded(store, noOpPipeline(STAGES, effects), { events, concurrency, beforeStart });
      return events / seconds;
    } finally {
      await store.close();
    }
  });
}

let dbosSchema: string | null = null;
const noop = async (): Promise<boolean> => true;
const tenSteps = DBOS.registerWorkflow(
  async (i: number): Promise<number> => {
    for (let step = 1; step <= STAGES; step++) await DBOS.runStep(noop, { name: `stage_${step}` });
    return i;
  },
  { name: 'bench_ten_steps' },
);

/** DBOS Transact with its system database in a fresh schema of the same database. */
export async function launchDbos(url: string): Promise<void> {
  dbosSchema = `dbos_peers_${randomBytes(4).toString('hex')}`;
  DBOS.setConfig({
    name: 'webpig-peers',
    systemDatabaseUrl: url,
    systemDatabaseSchemaName: dbosSchema,
    systemDatabasePoolSize: POOL_SIZE,
    logLevel: 'error',
  });
  await DBOS.launch();
}

export async function shutdownDbos(url: string): Promise<void> {
  await DBOS.shutdown();
  if (dbosSchema === null) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${dbosSchema}" CASCADE`);
  await admin.end();
}

/** Workflows/s: `concurrency` callers, each running workflows one after the other. */
export async function dbosPipeline(events: number, concurrency: number, round: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) {
        const i = next++;
        const handle = await DBOS.startWorkflow(tenSteps, { workflowID: `${round}-${i}` })(i);
        await handle.getResult();
      }
    }),
  );
  return events / ((performance.now() - started) / 1000);
}
