/**
 * The PostgreSQL checkpoint function as migrated now vs an older migration's version of it, in
 * one session, alternating call by call (robust to a busy machine):
 *
 *   node --import tsx bench/checkpoint-function-ab.ts [--old 0012] [--writes 32] [--calls 400] [--explain]
 *
 * `writes` leased events; each call is one batch of `writes` writes, each an outcome of stage
 * s1 and the `processing` mark of s2, in BEGIN … ROLLBACK (the same rows every call, no flush:
 * PostgreSQL's time and the round trip). `--explain` then runs one call of the current function
 * under auto_explain (nested statements, triggers) and prints each statement's time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { benchDeliveries, withPostgresSchema } from './fixtures.js';

const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIGRATIONS = fileURLToPath(new URL('../src/store/postgres/migrations', import.meta.url));
const CALL = (fn: string): string => `SELECT r.fenced_id, (r.event).* FROM ${fn}($1::jsonb, $2::text) AS r`;

/** The older migration's function, renamed so both live in one schema. */
function oldFunction(version: string): string {
  const file = readdirSync(MIGRATIONS).find((name) => name.startsWith(`${version}_`));
  if (!file) throw new Error(`no migration ${version}`);
  const sql = readFileSync(join(MIGRATIONS, file), 'utf8');
  if (!sql.includes('FUNCTION webpig_write_checkpoints(')) throw new Error(`migration ${file} does not define webpig_write_checkpoints`);
  return sql.replace('FUNCTION webpig_write_checkpoints(', 'FUNCTION webpig_write_checkpoints_old(');
}

/** `writes` events claimed, each with stage s1 marked `processing`; the batch document that ends s1 and marks s2. */
async function leasedBatch(store: Store, writes: number): Promise<string> {
  await store.insertEvents(benchDeliveries(writes, 'ab'));
  const now = new Date();
  const at = (ms: number): Date => new Date(now.getTime() + ms);
  const owners = Array.from({ length: writes }, (_, i) => `w#${i}`);
  const claimed = [];
  for (let i = 0; i < owners.length; i += 16) {
    claimed.push(...(await store.claimNextEvents({ workerIds: owners.slice(i, i + 16), leaseMs: 3_600_000, now })));
  }
  await store.writeCheckpoints(
    claimed.map((e) => ({
      eventId: e.id,
      leaseOwner: e.leaseOwner ?? '',
      outcomes: [],
      start: { eventId: e.id, leaseOwner: e.leaseOwner ?? '', stage: 's1', attempt: 1, startedAt: at(1) },
    })),
  );
  return JSON.stringify({
    writes: claimed.map((e) => ({ event_id: e.id, lease_owner: e.leaseOwner, at: at(3) })),
    outcomes: claimed.map((e, n) => ({
      n,
      event_id: e.id,
      stage: 's1',
      status: 'success',
      attempt: 1,
      started_at: at(1),
      completed_at: at(2),
      duration_ms: 1,
      data: { ok: true },
      error: null,
      skip_reason: null,
      note: null,
    })),
    summaries: [],
    logs: [],
    exchanges: [],
    starts: claimed.map((e, n) => ({ n, event_id: e.id, stage: 's2', attempt: 1, started_at: at(3), note: null })),
    finishes: [],
  });
}

/** One call in a transaction rolled back: its time in ms. */
async function timedCall(client: pg.Client, fn: string, batch: string): Promise<number> {
  await client.query('BEGIN');
  const started = performance.now();
  const result = await client.query(CALL(fn), [batch, 'unused']);
  const ms = performance.now() - started;
  await client.query('ROLLBACK');
  if (result.rows.length > 0) throw new Error('a write was fenced: the bench batch is wrong');
  return ms;
}

/** One call under auto_explain: each statement's first line, time and triggers. */
async function explainOnce(client: pg.Client, batch: string): Promise<void> {
  await client.query("LOAD 'auto_explain'");
  for (const setting of [
    'log_min_duration = 0',
    'log_analyze = on',
    'log_nested_statements = on',
    'log_triggers = on',
    'log_level = notice',
  ]) {
    await client.query(`SET auto_explain.${setting}`);
  }
  client.on('notice', (notice) => {
    const lines = String(notice.message).split('\n');
    // The foreign keys' own look-ups, one a row: their sum is on the "Trigger" lines.
    if (lines.some((line) => line.includes('FOR KEY SHARE'))) return;
    const query = lines.find((line) => line.includes('Query Text'))?.trim() ?? '?';
    const time = lines.find((line) => line.includes('actual time'))?.replace(/.*actual time=[\d.]+\.\.([\d.]+).*/, '$1');
    console.log(`  ${query.slice(0, 60).padEnd(60)} ${time ?? '?'} ms`);
    for (const line of lines.filter((l) => l.startsWith('Trigger'))) console.log(`    ${line}`);
  });
  await client.query('BEGIN');
  await client.query(CALL('webpig_write_checkpoints'), [batch, 'unused']);
  await client.query('ROLLBACK');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      old: { type: 'string', default: '0012' },
      writes: { type: 'string', default: '32' },
      calls: { type: 'string', default: '400' },
      explain: { type: 'boolean', default: false },
    },
  });
  await withPostgresSchema(url, 'webpig_fn_ab', async ({ schemaUrl, schema }) => {
    const store = await openStore(schemaUrl);
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await store.migrate();
      await client.query(oldFunction(values.old ?? ''));
      const batch = await leasedBatch(store, Number(values.writes));
      const times = { old: [] as number[], now: [] as number[] };
      for (let i = 0; i < Number(values.calls); i++) {
        const order: Array<'old' | 'now'> = i % 2 === 0 ? ['old', 'now'] : ['now', 'old'];
        for (const which of order) {
          times[which].push(await timedCall(client, which === 'old' ? 'webpig_write_checkpoints_old' : 'webpig_write_checkpoints', batch));
        }
      }
      const median = (all: number[]): number => [...all].sort((a, b) => a - b)[Math.floor(all.length / 2)] ?? Number.NaN;
      const [old, now] = [median(times.old), median(times.now)];
      console.log(
        `checkpoint function, ${values.writes} writes a call (outcome + next mark), ${values.calls} calls each, alternating: ` +
          `${values.old} p50 ${old.toFixed(3)} ms, now p50 ${now.toFixed(3)} ms (${(((now - old) / old) * 100).toFixed(1)} %)   ` +
          `(load ${loadavg()
            .map((v) => v.toFixed(1))
            .join(' ')})`,
      );
      if (values.explain) await explainOnce(client, batch);
    } finally {
      await client.end();
      await store.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
