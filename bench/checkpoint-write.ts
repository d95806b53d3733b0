/**
 * One checkpoint write on PostgreSQL, as an idle worker sends it:
 *
 *   node --import tsx bench/checkpoint-write.ts [--writes 400]
 *
 * One claimed event; each write carries stage i's success and stage i+1's `processing` mark
 * (`Store.writeCheckpoints` of one write), sent one after the other, each durable before the
 * next (synchronous_commit as the server has it, on by default). Beside it, in the same run and
 * database: the floor, a durable single-row INSERT in autocommit (one round trip + one WAL
 * flush), and a bare `SELECT 1` (one round trip). Printed: p50/p99 of each and the ratio of the
 * write's p50 to the floor's.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchDelivery, type BenchSchema, withPostgresSchema } from './fixtures.js';
import pg from 'pg';
import { openStore } from '../src/store/open.js';

const url = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(count: number, step: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await step(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { writes: { type: 'string', default: '400' } } });
  const writes = Number(values.writes);
  await withPostgresSchema(url, 'webpig_cw', (target) => measure(target, writes));
}

async function measure({ schemaUrl, schema, admin }: BenchSchema, writes: number): Promise<void> {
  const store = await openStore(schemaUrl);
  try {
    await store.migrate();
    const sync = (await admin.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
    console.log(`one checkpoint write at a time, PostgreSQL synchronous_commit=${sync}, ${writes} writes, load ${load()}`);
    const { event } = await store.insertEvent(benchDelivery(0, 'cw'));
    await store.claimNextEvents({ workerIds: ['w'], leaseMs: 3_600_000, now: new Date() });
    const at = (i: number): Date => new Date(Date.now() + i);
    const write = (i: number) =>
      store.writeCheckpoints([
        {
          eventId: event.id,
          leaseOwner: 'w',
          outcomes:
            i === 0
              ? []
              : [
                  {
                    eventId: event.id,
                    stage: `s${i}`,
                    leaseOwner: 'w',
                    attempt: 1,
                    startedAt: at(0),
                    completedAt: at(0),
                    outcome: { status: 'success', data: { ok: true } },
                  },
                ],
          start: { eventId: event.id, stage: `s${i + 1}`, leaseOwner: 'w', attempt: 1, startedAt: at(0) },
        },
      ]);
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query(`CREATE TABLE "${schema}".floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL)`);
    // Warm up both (plans, connections), then alternate in blocks so load hits them alike.
    let next = 0;
    const nextWrite = () => write(next++);
    await timed(20, nextWrite);
    await timed(20, () => raw.query(`INSERT INTO "${schema}".floor (at) VALUES (now())`));
    const samples = { write: [] as number[], insert: [] as number[], select: [] as number[] };
    for (let block = 0; block < 4; block++) {
      samples.write.push(...(await timed(writes / 4, nextWrite)));
      samples.insert.push(...(await timed(writes / 4, () => raw.query(`INSERT INTO "${schema}".floor (at) VALUES (now())`))));
      samples.select.push(...(await timed(writes / 4, () => raw.query('SELECT 1'))));
    }
    await raw.end();
    const w = percentiles(samples.write);
    const f = percentiles(samples.insert);
    const s = percentiles(samples.select);
    const ms = (v: number): string => v.toFixed(2).padStart(6);
    console.log(`  writeCheckpoints (outcome + next mark): p50 ${ms(w.p50)} ms   p99 ${ms(w.p99)} ms`);
    console.log(`  durable single-row INSERT (floor):      p50 ${ms(f.p50)} ms   p99 ${ms(f.p99)} ms`);
    console.log(`  SELECT 1 (a round trip):                p50 ${ms(s.p50)} ms   p99 ${ms(s.p99)} ms`);
    console.log(`  write ÷ floor (p50): ${(w.p50 / f.p50).toFixed(2)}   (load ${load()})`);
  } finally {
    await store.close();
  }
}

await main();
